/*
 * traffic.h - the request stream of a scenario, shared by sim and run.
 *
 * A scenario plus a seed define one sequence of requests: intended send
 * time, account, model, region, tokens and fault flags.  sim simulates it,
 * run sends it.  Open-loop populations draw their arrivals from one stream
 * per population (RNG_ARRIVALS, RNG_PICK keyed by population index), and
 * each request's attributes from the chosen account's own stream
 * (RNG_ATTRS / RNG_FAULTS keyed by account id).  A shard therefore
 * generates every population's arrivals, keeps those of its own accounts,
 * and sees exactly the requests the unsharded run gives those accounts.
 *
 * Closed-loop populations are driven by their users: the engine asks for
 * the attributes of the next request of a user with traffic_closed_req().
 */
#ifndef TOLLGATE_TRAFFIC_H
#define TOLLGATE_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/scenario.h"

struct traffic_req {
    int64_t t_ns;    /* intended send time since start */
    uint64_t id;     /* unique per request in the run (not per attempt) */
    int64_t account; /* global account id */
    int pop;         /* population index */
    int model;       /* policy model index */
    int region;      /* scenario region index */
    int64_t prompt_tokens;
    int64_t completion_tokens; /* max_tokens asked for */
    bool invalid_key;          /* sent with a wrong key */
    bool violation;            /* content gets flagged */
    bool bad_request;          /* malformed */
};

struct traffic;

/* A generator for sc (borrowed: it must outlive the generator) with the
 * given seed, producing the requests of accounts a with a % shard_n ==
 * shard_i (shard_n = 1: all). */
struct traffic *traffic_new(const struct scenario *sc, uint64_t seed,
                            int shard_i, int shard_n);
void traffic_free(struct traffic *t);

/* The next open-loop request in intended-time order, ties broken by
 * population index.  Returns false once every population is past the
 * scenario duration. */
bool traffic_next(struct traffic *t, struct traffic_req *out);

/* Closed loop: number of users of population pop (0 if open loop), and
 * the attributes of the next request of user u issued at t_ns (account
 * chosen per user deterministically). */
int64_t traffic_closed_users(const struct traffic *t, int pop);
void traffic_closed_req(struct traffic *t, int pop, int64_t user, int64_t t_ns,
                        struct traffic_req *out);

/* Think time of a closed-loop user (ns), from that user's stream. */
int64_t traffic_think_ns(struct traffic *t, int pop, int64_t user);

/* The instantaneous open-loop rate of pop at t_ns (per second), with
 * ramps and diurnal shape: what the arrival process is modulated by. */
double traffic_rate_at(const struct scenario *sc, int pop, int64_t t_ns);

#endif
