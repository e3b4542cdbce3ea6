# bash completion for healthprobe.
# Generated from the option and scheme tables by tests/generated.rs: do not edit.

_healthprobe() {
    local cur prev i sub=""
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    # With bash-completion, a word holding ':' (redis://) stays one word.
    if declare -F _get_comp_words_by_ref >/dev/null; then
        _get_comp_words_by_ref -n : cur prev
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            http|tcp|file|wait|grpc|exec|install|serve|history) [[ -z $sub ]] && sub=${COMP_WORDS[i]} ;;
            --)
                if [[ $sub == exec || $sub == wait ]]; then
                    COMPREPLY=($(compgen -c -- "$cur"))
                    return
                fi
                ;;
        esac
    done
    case $prev in
        --unix-socket|--cacert|--cert|--key)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --exit-codes)
            COMPREPLY=($(compgen -W "docker consul" -- "$cur"))
            return
            ;;
        --restart-signal)
            COMPREPLY=($(compgen -W "TERM INT QUIT HUP USR1 USR2" -- "$cur"))
            return
            ;;
        --format)
            COMPREPLY=($(compgen -W "line json" -- "$cur"))
            return
            ;;
        --timeout|--start-period|--method|-X|--data|-d|--status|--header|-H|--host|--max-redirs|--body-contains|--body-not-contains|--header-contains|--body-json|--basic-auth|--max-age|--contains|--min-size|--max-size|--interval|--attempt-timeout|--max-interval|--service|--authority|--stdout-contains|--expect-exit|--state-dir|--listen|--restart-after|--cache|--start-interval|--history)
            return
            ;;
    esac
    local opts="--timeout -q --quiet -v --verbose -4 --ipv4 -6 --ipv6 --start-period --exit-codes --invert -X --method -d --data --status -H --header --host -L --location --max-redirs --http2 --body-contains --body-not-contains --header-contains --body-json --basic-auth --unix-socket -k --insecure --cacert --cert --key --state-dir --restart-after --restart-signal --start-interval --history --format -h --help -V --version"
    case $sub in
        file) opts="$opts --max-age --non-empty --contains --min-size --max-size" ;;
        wait) opts="$opts --interval --attempt-timeout --backoff --max-interval" ;;
        grpc) opts="$opts --service --tls --authority" ;;
        exec) opts="$opts --redact-args --stdout-contains --expect-exit" ;;
        serve) opts="$opts --listen --cache" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    local schemes="http:// https:// tcp:// grpc:// grpcs:// redis:// rediss:// postgres:// postgresql:// mysql:// amqp:// amqps:// mqtt:// mqtts:// memcached:// nats:// dns:"
    case $sub in
        "") COMPREPLY=($(compgen -W "http tcp file wait grpc exec install serve history $schemes" -- "$cur")) ;;
        file) COMPREPLY=($(compgen -f -- "$cur")) ;;
        exec) COMPREPLY=($(compgen -c -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$schemes" -- "$cur")) ;;
    esac
    # A scheme is the start of a target: no space after it.
    if [[ ${COMPREPLY[*]} == *: || ${COMPREPLY[*]} == *:/ || ${COMPREPLY[*]} == *:// ]]; then
        compopt -o nospace 2>/dev/null
    fi
    if declare -F __ltrim_colon_completions >/dev/null; then
        __ltrim_colon_completions "$cur"
    fi
}
complete -F _healthprobe healthprobe
