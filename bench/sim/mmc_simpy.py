#!/usr/bin/python3
"""M/M/c in SimPy 2 (Debian's python3-simpy), the peer tollgate sim is
compared with in bench/sim/run.sh.

Poisson arrivals at LAMBDA/s, exponential service of mean 1/MU s, C
servers, unlimited FIFO queue; runs for DURATION simulated seconds and
prints one line of key=value pairs: customers served, wall and CPU
seconds, customers per wall and per CPU second, and the mean response time
next to its Erlang C value, so the two engines are seen to simulate the
same system.

Usage: mmc_simpy.py [C] [LAMBDA] [MU] [DURATION] [SEED]
"""
import random
import sys
import time

from SimPy.Simulation import (Process, Resource, activate, hold, initialize,
                              now, release, request, simulate)


def erlang_c_response(c, lam, mu):
    a = lam / mu
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    cw = c * b / (c - a * (1 - b))
    return cw / (c * mu - lam) + 1 / mu


class Stats:
    def __init__(self):
        self.n = 0
        self.total = 0.0


class Customer(Process):
    def visit(self, res, mu, rng, stats):
        arrive = now()
        yield request, self, res
        yield hold, self, rng.expovariate(mu)
        yield release, self, res
        stats.n += 1
        stats.total += now() - arrive


class Source(Process):
    def generate(self, res, lam, mu, rng, stats):
        while True:
            yield hold, self, rng.expovariate(lam)
            c = Customer()
            activate(c, c.visit(res, mu, rng, stats))


def main():
    args = sys.argv[1:]
    c = int(args[0]) if len(args) > 0 else 10
    lam = float(args[1]) if len(args) > 1 else 8.0
    mu = float(args[2]) if len(args) > 2 else 1.0
    duration = float(args[3]) if len(args) > 3 else 100000.0
    seed = int(args[4]) if len(args) > 4 else 1
    rng = random.Random(seed)
    stats = Stats()
    t0 = time.perf_counter()
    c0 = time.process_time()
    initialize()
    res = Resource(capacity=c, monitored=False)
    src = Source()
    activate(src, src.generate(res, lam, mu, rng, stats))
    simulate(until=duration)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print("engine=simpy customers=%d wall_s=%.3f cpu_s=%.3f per_s=%.0f "
          "per_cpu_s=%.0f mean_T=%.4f erlang_c_T=%.4f"
          % (stats.n, wall, cpu, stats.n / wall, stats.n / cpu,
             stats.total / max(stats.n, 1), erlang_c_response(c, lam, mu)))


if __name__ == "__main__":
    main()
