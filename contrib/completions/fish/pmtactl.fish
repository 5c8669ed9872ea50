# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pmtactl_global_optspecs
    string join \n socket= config= json format= timeout= h/help V/version
end

function __fish_pmtactl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pmtactl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pmtactl_using_subcommand
    set -l cmd (__fish_pmtactl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pmtactl -n "__fish_pmtactl_needs_command" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_needs_command" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_needs_command" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_needs_command" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_needs_command" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -s V -l version -d 'Print version'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "show" -d 'Show daemon state: status, domains, queues, virtual MTAs, settings'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "domain" -d 'Everything about one domain: `domain detail NAME`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "reload" -d 'Re-read the configuration; on any error keep the running one and print every error'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "test" -d 'Check a configuration without applying it: `test config [FILE]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "pause" -d 'Stop delivery for matching queues: `pause queue DOMAIN[/VMTA]` (`*` wildcards)'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "resume" -d 'Restart delivery for matching queues: `resume queue DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "schedule" -d 'Retry matching queues now: `schedule DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "set" -d 'Change queue state: `set queue --mode=normal|backoff DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "delete" -d 'Delete queued recipients: `delete --queue=DOMAIN[/VMTA] [--older-than=T]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "list" -d 'List queued recipients: `list --queue=DOMAIN[/VMTA] [--maxitems=N]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "tail" -d 'Print the delivery log: `tail logs [--follow] [--domain NAME] [--lines N]`'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "version" -d 'Versions of pmtactl and of the daemon, and their protocols'
complete -c pmtactl -n "__fish_pmtactl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "status" -d 'Uptime, traffic, connections, queue totals, spool'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "domains" -d 'Per-domain table (`show domain NAME…` selects domains)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "domain" -d 'Per-domain table (`show domain NAME…` selects domains)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "topdomains" -d '`show domains` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "queues" -d 'Per-queue (domain/virtual MTA) table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "queue" -d 'Per-queue (domain/virtual MTA) table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "topqueues" -d '`show queues` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "vmtas" -d 'Per-virtual-MTA table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "vmta" -d 'Per-virtual-MTA table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "jobs" -d 'Jobs (`X-Job:` campaigns): queued, delivered, bounced, deferred, first and last seen'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "job" -d 'One job\'s figures (exit 1 when no such job is known)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "paused" -d 'The stored pause, resume and mode orders (patterns as typed) and what each holds now'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "bounces" -d 'The last asynchronous bounces the <bounce-processor> parsed: recipient, bounce category, status, format, whether it matched a message pmtad sent (job, virtual MTA), what became of the report; then the counts by domain and category'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "feedback" -d 'The last complaints (ARF, JMRP) the <feedback-loop-processor> parsed, as `show bounces`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "settings" -d 'Effective settings of a queue, each with the config line it came from'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "cluster" -d 'The fleet (cluster-redis-url): each node\'s heartbeat age, version, queues and connections; each cluster-max-smtp-out in use with its connections per node; the fleet-wide pauses'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "version" -d 'Same as `pmtactl version`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and not __fish_seen_subcommand_from status domains domain topdomains queues queue topqueues vmtas vmta jobs job paused bounces feedback settings cluster version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l vmta -d 'Count only this virtual MTA\'s queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l errors -d 'The recent errors and bounces of each named domain (PowerMTA\'s `--errors`)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domains" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l vmta -d 'Count only this virtual MTA\'s queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l errors -d 'The recent errors and bounces of each named domain (PowerMTA\'s `--errors`)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from domain" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l vmta -d 'Count only this virtual MTA\'s queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l errors -d 'The recent errors and bounces of each named domain (PowerMTA\'s `--errors`)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topdomains" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l paused -d 'Only paused (yes) or unpaused (no) queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l mode -d 'Only queues in this mode' -r -f -a "normal\t''
backoff\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queues" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l paused -d 'Only paused (yes) or unpaused (no) queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l mode -d 'Only queues in this mode' -r -f -a "normal\t''
backoff\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from queue" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l paused -d 'Only paused (yes) or unpaused (no) queues' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l mode -d 'Only queues in this mode' -r -f -a "normal\t''
backoff\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from topqueues" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmtas" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l maxitems -d 'Rows to show (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l sort -d 'Row order' -r -f -a "name\t''
rcpts\t''
kbytes\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from vmta" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from jobs" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from job" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from paused" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l last -d 'How many of the last reports (the daemon keeps 1000)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l domain -d 'Only reports about recipients of this domain' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l category -d 'Only this bounce category (bad-mailbox, ...) or feedback type (abuse, ...)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from bounces" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l last -d 'How many of the last reports (the daemon keeps 1000)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l domain -d 'Only reports about recipients of this domain' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l category -d 'Only this bounce category (bad-mailbox, ...) or feedback type (abuse, ...)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from feedback" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from settings" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from cluster" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from version" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "status" -d 'Uptime, traffic, connections, queue totals, spool'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "domains" -d 'Per-domain table (`show domain NAME…` selects domains)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "topdomains" -d '`show domains` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "queues" -d 'Per-queue (domain/virtual MTA) table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "topqueues" -d '`show queues` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "vmtas" -d 'Per-virtual-MTA table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "jobs" -d 'Jobs (`X-Job:` campaigns): queued, delivered, bounced, deferred, first and last seen'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "job" -d 'One job\'s figures (exit 1 when no such job is known)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "paused" -d 'The stored pause, resume and mode orders (patterns as typed) and what each holds now'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "bounces" -d 'The last asynchronous bounces the <bounce-processor> parsed: recipient, bounce category, status, format, whether it matched a message pmtad sent (job, virtual MTA), what became of the report; then the counts by domain and category'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "feedback" -d 'The last complaints (ARF, JMRP) the <feedback-loop-processor> parsed, as `show bounces`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "settings" -d 'Effective settings of a queue, each with the config line it came from'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "cluster" -d 'The fleet (cluster-redis-url): each node\'s heartbeat age, version, queues and connections; each cluster-max-smtp-out in use with its connections per node; the fleet-wide pauses'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "version" -d 'Same as `pmtactl version`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand show; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -f -a "detail" -d 'Why is this domain (not) sending: a verdict line, then queues, connections, holds, MX, errors; settings with --settings'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and not __fish_seen_subcommand_from detail help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l settings -d 'Also print every effective setting of each queue'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from detail" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "detail" -d 'Why is this domain (not) sending: a verdict line, then queues, connections, holds, MX, errors; settings with --settings'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand domain; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand reload" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -f -a "config" -d 'Check FILE (or the --config file) locally, no daemon needed; with neither, ask the daemon to check the file it runs on'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and not __fish_seen_subcommand_from config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from help" -f -a "config" -d 'Check FILE (or the --config file) locally, no daemon needed; with neither, ask the daemon to check the file it runs on'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand test; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and not __fish_seen_subcommand_from queue job help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l cluster -d 'Fleet-wide: store the pause in the fleet\'s Redis (cluster-redis-url), where every node takes it up within a second and after a restart; `resume queue PATTERN --cluster` removes that same pattern. Local pauses and resumes are separate'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from queue" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from job" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from help" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from help" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand pause; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and not __fish_seen_subcommand_from queue job help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l cluster -d 'Fleet-wide: store the pause in the fleet\'s Redis (cluster-redis-url), where every node takes it up within a second and after a restart; `resume queue PATTERN --cluster` removes that same pattern. Local pauses and resumes are separate'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from queue" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from job" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from help" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from help" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand resume; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand schedule" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -f -a "queue" -d 'Set the delivery mode of matching queues'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and not __fish_seen_subcommand_from queue help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l mode -d 'normal or backoff' -r -f -a "normal\t''
backoff\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from queue" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from help" -f -a "queue" -d 'Set the delivery mode of matching queues'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand set; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l queue -d 'DOMAIN[/VMTA] with `*` wildcards (this or --job is required, so a typo cannot empty the spool)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l job -d 'Every queued recipient of this job (`X-Job`), in any queue' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l older-than -d 'Only recipients queued longer than this (`30m`, `4d12h`, bare seconds)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand delete" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l queue -d 'DOMAIN[/VMTA] with `*` wildcards [default: */*]' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l maxitems -d 'Most recipients to list (0 = all)' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l older-than -d 'Only recipients queued longer than this' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand list" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -f -a "logs" -d 'The delivery log'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and not __fish_seen_subcommand_from logs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l domain -d 'Only lines about this domain' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -s n -l lines -d 'How many recent lines to print first' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Keep printing new lines until interrupted'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from help" -f -a "logs" -d 'The delivery log'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand tail; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -l socket -d 'The control socket [default: control-socket of --config, else /run/pmtad/control.sock]' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -l config -d 'Read control-socket from this config file (pmtad\'s own `--config`)' -r -F
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -l format -d 'Output format; `auto` is a table on a terminal and plain columns otherwise' -r -f -a "auto\t''
table\t''
plain\t''
json\t''"
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -l timeout -d 'Seconds to wait for each answer from the daemon' -r
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -l json -d 'Print the daemon\'s answer as JSON (the schema is in JSON OUTPUT below)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand version" -s h -l help -d 'Print help'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "show" -d 'Show daemon state: status, domains, queues, virtual MTAs, settings'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "domain" -d 'Everything about one domain: `domain detail NAME`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "reload" -d 'Re-read the configuration; on any error keep the running one and print every error'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "test" -d 'Check a configuration without applying it: `test config [FILE]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "pause" -d 'Stop delivery for matching queues: `pause queue DOMAIN[/VMTA]` (`*` wildcards)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "resume" -d 'Restart delivery for matching queues: `resume queue DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "schedule" -d 'Retry matching queues now: `schedule DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "set" -d 'Change queue state: `set queue --mode=normal|backoff DOMAIN[/VMTA]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "delete" -d 'Delete queued recipients: `delete --queue=DOMAIN[/VMTA] [--older-than=T]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "list" -d 'List queued recipients: `list --queue=DOMAIN[/VMTA] [--maxitems=N]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "tail" -d 'Print the delivery log: `tail logs [--follow] [--domain NAME] [--lines N]`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "version" -d 'Versions of pmtactl and of the daemon, and their protocols'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and not __fish_seen_subcommand_from show domain reload test pause resume schedule set delete list tail version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "status" -d 'Uptime, traffic, connections, queue totals, spool'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "domains" -d 'Per-domain table (`show domain NAME…` selects domains)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "topdomains" -d '`show domains` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "queues" -d 'Per-queue (domain/virtual MTA) table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "topqueues" -d '`show queues` sorted by queued recipients'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "vmtas" -d 'Per-virtual-MTA table'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "jobs" -d 'Jobs (`X-Job:` campaigns): queued, delivered, bounced, deferred, first and last seen'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "job" -d 'One job\'s figures (exit 1 when no such job is known)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "paused" -d 'The stored pause, resume and mode orders (patterns as typed) and what each holds now'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "bounces" -d 'The last asynchronous bounces the <bounce-processor> parsed: recipient, bounce category, status, format, whether it matched a message pmtad sent (job, virtual MTA), what became of the report; then the counts by domain and category'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "feedback" -d 'The last complaints (ARF, JMRP) the <feedback-loop-processor> parsed, as `show bounces`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "settings" -d 'Effective settings of a queue, each with the config line it came from'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "cluster" -d 'The fleet (cluster-redis-url): each node\'s heartbeat age, version, queues and connections; each cluster-max-smtp-out in use with its connections per node; the fleet-wide pauses'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from show" -f -a "version" -d 'Same as `pmtactl version`'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from domain" -f -a "detail" -d 'Why is this domain (not) sending: a verdict line, then queues, connections, holds, MX, errors; settings with --settings'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from test" -f -a "config" -d 'Check FILE (or the --config file) locally, no daemon needed; with neither, ask the daemon to check the file it runs on'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from pause" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from pause" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from resume" -f -a "queue" -d 'Queues matching DOMAIN[/VMTA] (`*` wildcards; quote them from the shell)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from resume" -f -a "job" -d 'One job: its waiting messages leave the queues (in-flight ones finish) and its new mail is held, until `resume job ID`. Kept across a restart (SPOOL/paused-jobs)'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from set" -f -a "queue" -d 'Set the delivery mode of matching queues'
complete -c pmtactl -n "__fish_pmtactl_using_subcommand help; and __fish_seen_subcommand_from tail" -f -a "logs" -d 'The delivery log'
