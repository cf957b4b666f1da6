# bash completion for tollgate(1)  -*- shell-script -*-
#
# Installed as share/bash-completion/completions/tollgate.  The commands
# and each command's options are read from the binary's own --help when
# completing, so this file never lists them and cannot fall behind.
# Operands: scenario files (*.yaml, *.yml) for sim, run, serve and
# validate; directories for plot, report, check, compare and merge.

_tollgate_help_options()
{
    "$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}

_tollgate()
{
    local cur prev bin cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    bin=${COMP_WORDS[0]}
    COMPREPLY=()

    if [ "$COMP_CWORD" -eq 1 ]; then
        local cmds
        cmds=$("$bin" --help 2>/dev/null |
            sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
        COMPREPLY=($(compgen -W "$cmds help --help --version" -- "$cur"))
        return 0
    fi
    cmd=${COMP_WORDS[1]}
    if [ "$cmd" = help ]; then
        COMPREPLY=($(compgen -W "$("$bin" --help 2>/dev/null |
            sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')" -- "$cur"))
        return 0
    fi

    # The value of the option before the cursor.
    case $prev in
        --format)
            if [ "$cmd" = report ]; then
                COMPREPLY=($(compgen -W "text markdown json html" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "png svg" -- "$cur"))
            fi
            return 0 ;;
        -o | --output) compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --junit | --csv | --html) compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --seed | --duration | --replications | --set | --target | --threads | \
            --connections | --max-requests | --shard | --start-at | --drain | \
            --listen | --admin-token | --timeout | --request-timeout | \
            --max-connections | --max-per-client | --stop-after | \
            --tolerance | --latency-tolerance | --latency-floor)
            return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_tollgate_help_options "$bin" "$cmd") -h"\
            -- "$cur"))
        return 0
    fi
    compopt -o filenames 2>/dev/null
    case $cmd in
        sim | run | serve | validate)
            COMPREPLY=($(compgen -d -- "$cur")
                $(compgen -f -X '!*.yaml' -- "$cur")
                $(compgen -f -X '!*.yml' -- "$cur")) ;;
        plot | report | check | compare | merge)
            COMPREPLY=($(compgen -d -- "$cur")) ;;
    esac
    return 0
}
complete -F _tollgate tollgate
