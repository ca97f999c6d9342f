# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_crm_meta_global_optspecs
    string join \n json v/verbose q/quiet y/yes no-dotenv database-url= h/help V/version
end

function __fish_crm_meta_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_crm_meta_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_crm_meta_using_subcommand
    set -l cmd (__fish_crm_meta_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c crm-meta -n "__fish_crm_meta_needs_command" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_needs_command" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "migrate" -d 'Create or upgrade the CRM\'s Meta tables (safe to run from several CI jobs at once)'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "tenants" -d 'Manage tenants where crm-meta owns the `tenants` table'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "connect" -d 'Connect a tenant\'s Meta account: OAuth in the browser, then a verified, encrypted long-lived token'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "disconnect" -d 'Revoke the app at Meta and delete the tenant\'s stored token'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "test-connection" -d 'Check stored tokens live against Meta'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "debug-token" -d 'Show Meta\'s `debug_token` view of a token'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "list-accounts" -d 'List a tenant\'s business managers and ad accounts'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "audit" -d 'Check every stored token; flag expired, invalid, missing-scope and expiring ones'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "import" -d 'Import existing tokens from stdin, validated and stored encrypted'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "select" -d 'Choose the business manager and ad account the CRM syncs for a tenant'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "refresh" -d 'Extend long-lived tokens while Meta allows; report tenants that must consent again'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "keys" -d 'Manage the key that encrypts tokens at rest'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "doctor" -d 'Check the setup: settings, the Meta app, redirect URI, database, keys, version clocks, clock skew'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "deadlines" -d 'Every upcoming date that will break something, soonest first (store only, no Meta call, no key)'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "log" -d 'The audit log, newest first (no key needed)'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "leads" -d 'Lead ads: install the app on the tenant\'s Page for `leadgen`, and check the whole flow'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "relay-page" -d 'Print the HTML page to host at an https:// META_REDIRECT_URI (a Live app\'s relay): it forwards Meta\'s answer to `connect` on this computer'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c crm-meta -n "__fish_crm_meta_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -f -a "run" -d 'Apply pending migrations (the default)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -f -a "status" -d 'List applied and pending migrations; exit 3 when any is pending'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and not __fish_seen_subcommand_from run status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "run" -d 'Apply pending migrations (the default)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "status" -d 'List applied and pending migrations; exit 3 when any is pending'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -f -a "add" -d 'Add a tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -f -a "list" -d 'Every tenant with its connection state (from the database; no network)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and not __fish_seen_subcommand_from add list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -l id -d 'The tenant\'s id' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -l name -d 'The tenant\'s display name' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every tenant with its connection state (from the database; no network)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l tenant -d 'The tenant\'s id (a row of `tenants`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l timeout -d 'Seconds to wait for the authorization to complete' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l redirect-uri -d 'Redirect URI registered on the Meta app (must match exactly)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l loopback-port -d 'With an https:// redirect URI (a relay page): the loopback port to listen on [env: META_LOOPBACK_PORT] [default: 8765]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l scopes -d 'Permissions to request, comma separated' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l config-id -d 'Facebook Login for Business configuration id, sent instead of the scopes' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l business -d 'Business manager id' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l ad-account -d 'Ad account id (`act_…`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l page -d 'The Page whose lead ads reach the CRM (else the only one the user can advertise on, or a picker on a terminal)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l no-browser -d 'Print the URL and read the redirected URL pasted back, instead of a loopback listener'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l with-token -d 'Read an existing user or system-user token from stdin instead of running OAuth'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand connect" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -l tenant -d 'The tenant\'s id (a row of `tenants`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -l keep-remote -d 'Delete the stored token without revoking the app\'s permissions at Meta'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand disconnect" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l tenant -d 'The tenant to check' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l max-usage -d 'Never push the app\'s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l all -d 'Check every connected tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand test-connection" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -l tenant -d 'The tenant whose stored token to inspect' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -l token-stdin -d 'Read the token from stdin (needs no database)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand debug-token" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -l tenant -d 'The tenant\'s id (a row of `tenants`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -l business -d 'Only this business manager' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand list-accounts" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l within -d 'Flag tokens (or data access) expiring within this many days' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l concurrency -d 'Graph batch requests in flight at once' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l format -d 'Output format (`--json` implies json); prometheus is the text exposition format' -r -f -a "table\t''
json\t''
csv\t''
prometheus\t''"
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l metrics-file -d 'Also write the metrics, in Prometheus text format, to this file (atomically: for node_exporter\'s textfile collector)' -r -F
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l max-usage -d 'Never push the app\'s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand audit" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -l format -d 'Input format on stdin' -r -f -a "jsonl\t''
csv\t''"
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -l max-usage -d 'Never push the app\'s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand import" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l tenant -d 'The tenant\'s id (a row of `tenants`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l business -d 'Business manager id' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l ad-account -d 'Ad account id (`act_…`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l page -d 'The Page whose lead ads reach the CRM (the user must have its ADVERTISE task); without an id, a picker on a terminal, or the only eligible Page. Alone, it leaves the ad account as it is' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand select" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l tenant -d 'Only this tenant' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l expiring-within -d 'Only tokens expiring within this many days' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l max-usage -d 'Never push the app\'s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand refresh" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -f -a "rotate" -d 'Make a new current key and re-encrypt every stored token under it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -f -a "list" -d 'Each key id: current or not, present or missing, and how many tokens use it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and not __fish_seen_subcommand_from rotate list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l dry-run -d 'Check that every token decrypts with the keys held and report what would change; write nothing'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l prune -d 'Afterwards, forget every key no row uses any more'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new current key and re-encrypt every stored token under it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'Each key id: current or not, present or missing, and how many tokens use it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -l within -d 'Only dates within this many days' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -l format -d 'Output format (`--json` implies json); ics is an RFC 5545 calendar' -r -f -a "table\t''
json\t''
ics\t''"
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand deadlines" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l tenant -d 'Only this tenant' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l action -d 'Only this action (connect, disconnect, refresh, select, import, rotate, invalidate)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l since -d 'Only entries from this date (YYYY-MM-DD, UTC) or instant (RFC 3339) on' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l limit -d 'At most this many entries' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand log" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -f -a "subscribe" -d 'Install the app on the tenant\'s Page for the `leadgen` webhook field, then verify it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -f -a "status" -d 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app\'s own `page`/`leadgen` subscription; exit 3 when a check fails'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and not __fish_seen_subcommand_from subscribe status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -l tenant -d 'The tenant\'s id (a row of `tenants`)' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from subscribe" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l tenant -d 'Only this tenant' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l concurrency -d 'Tenants checked at once with --all' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l max-usage -d 'Never push the app\'s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l all -d 'Every connected tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from help" -f -a "subscribe" -d 'Install the app on the tenant\'s Page for the `leadgen` webhook field, then verify it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from help" -f -a "status" -d 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app\'s own `page`/`leadgen` subscription; exit 3 when a check fails'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand leads; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -l loopback-port -d 'The loopback port `connect` listens on, which the page forwards to [env: META_LOOPBACK_PORT] [default: 8765]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand relay-page" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -l database-url -d 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]' -r
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -l json -d 'Print one JSON document on stdout; no colour, progress bars or prompts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -s y -l yes -d 'Answer yes to every confirmation; never prompt'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -l no-dotenv -d 'Do not read a `.env` file from the working directory'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -s h -l help -d 'Print help'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand completions" -s V -l version -d 'Print version'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "migrate" -d 'Create or upgrade the CRM\'s Meta tables (safe to run from several CI jobs at once)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "tenants" -d 'Manage tenants where crm-meta owns the `tenants` table'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "connect" -d 'Connect a tenant\'s Meta account: OAuth in the browser, then a verified, encrypted long-lived token'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "disconnect" -d 'Revoke the app at Meta and delete the tenant\'s stored token'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "test-connection" -d 'Check stored tokens live against Meta'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "debug-token" -d 'Show Meta\'s `debug_token` view of a token'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "list-accounts" -d 'List a tenant\'s business managers and ad accounts'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "audit" -d 'Check every stored token; flag expired, invalid, missing-scope and expiring ones'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "import" -d 'Import existing tokens from stdin, validated and stored encrypted'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "select" -d 'Choose the business manager and ad account the CRM syncs for a tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "refresh" -d 'Extend long-lived tokens while Meta allows; report tenants that must consent again'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "keys" -d 'Manage the key that encrypts tokens at rest'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "doctor" -d 'Check the setup: settings, the Meta app, redirect URI, database, keys, version clocks, clock skew'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "deadlines" -d 'Every upcoming date that will break something, soonest first (store only, no Meta call, no key)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "log" -d 'The audit log, newest first (no key needed)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "leads" -d 'Lead ads: install the app on the tenant\'s Page for `leadgen`, and check the whole flow'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "relay-page" -d 'Print the HTML page to host at an https:// META_REDIRECT_URI (a Live app\'s relay): it forwards Meta\'s answer to `connect` on this computer'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and not __fish_seen_subcommand_from migrate tenants connect disconnect test-connection debug-token list-accounts audit import select refresh keys doctor deadlines log leads relay-page completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "run" -d 'Apply pending migrations (the default)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "status" -d 'List applied and pending migrations; exit 3 when any is pending'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "add" -d 'Add a tenant'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "list" -d 'Every tenant with its connection state (from the database; no network)'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "rotate" -d 'Make a new current key and re-encrypt every stored token under it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'Each key id: current or not, present or missing, and how many tokens use it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from leads" -f -a "subscribe" -d 'Install the app on the tenant\'s Page for the `leadgen` webhook field, then verify it'
complete -c crm-meta -n "__fish_crm_meta_using_subcommand help; and __fish_seen_subcommand_from leads" -f -a "status" -d 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app\'s own `page`/`leadgen` subscription; exit 3 when a check fails'
