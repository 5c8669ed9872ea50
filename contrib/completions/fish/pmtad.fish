# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pmtad_global_optspecs
    string join \n c/config= t/check-config show-settings= hash-password h/help V/version
end

function __fish_pmtad_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pmtad_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pmtad_using_subcommand
    set -l cmd (__fish_pmtad_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pmtad -n "__fish_pmtad_needs_command" -s c -l config -d 'Configuration file (PowerMTA syntax; see pmta.conf(5))' -r -F
complete -c pmtad -n "__fish_pmtad_needs_command" -l show-settings -d 'Print every effective setting of queue DOMAIN[/VMTA] with the file:line it came from (or `default`), and exit' -r
complete -c pmtad -n "__fish_pmtad_needs_command" -s t -l check-config -d 'Check the configuration, print every error and warning, and exit: 0 if it is valid, 1 if not. A valid one also gets a `consequence:` line for what it will do that is likely unintended (no source may relay; a <domain> block that never applies; dkim-sign with no key). Binds nothing, touches no file'
complete -c pmtad -n "__fish_pmtad_needs_command" -l hash-password -d 'Read a password (one line) from standard input and print its Argon2id hash in PHC form, for `password` in an `<smtp-user>` block; then exit. Needs no config'
complete -c pmtad -n "__fish_pmtad_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pmtad -n "__fish_pmtad_needs_command" -s V -l version -d 'Print version'
complete -c pmtad -n "__fish_pmtad_needs_command" -f -a "spool" -d 'Inspect the spool directory of the configuration'
complete -c pmtad -n "__fish_pmtad_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'Print every message the spool holds: id, received, sender, virtual MTA, size, and each recipient with its state (pending, delivered, failed). Reads the spool of --config without modifying it; meant for a stopped daemon'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON array instead (fields: id, received_at, received, from, vmta, size, recipients[].address, recipients[].state)'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print every message the spool holds: id, received, sender, virtual MTA, size, and each recipient with its state (pending, delivered, failed). Reads the spool of --config without modifying it; meant for a stopped daemon'
complete -c pmtad -n "__fish_pmtad_using_subcommand spool; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtad -n "__fish_pmtad_using_subcommand help; and not __fish_seen_subcommand_from spool help" -f -a "spool" -d 'Inspect the spool directory of the configuration'
complete -c pmtad -n "__fish_pmtad_using_subcommand help; and not __fish_seen_subcommand_from spool help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pmtad -n "__fish_pmtad_using_subcommand help; and __fish_seen_subcommand_from spool" -f -a "list" -d 'Print every message the spool holds: id, received, sender, virtual MTA, size, and each recipient with its state (pending, delivered, failed). Reads the spool of --config without modifying it; meant for a stopped daemon'
