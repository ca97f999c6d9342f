
use builtin;
use str;

set edit:completion:arg-completer[crm-meta] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'crm-meta'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'crm-meta'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand migrate 'Create or upgrade the CRM''s Meta tables (safe to run from several CI jobs at once)'
            cand tenants 'Manage tenants where crm-meta owns the `tenants` table'
            cand connect 'Connect a tenant''s Meta account: OAuth in the browser, then a verified, encrypted long-lived token'
            cand disconnect 'Revoke the app at Meta and delete the tenant''s stored token'
            cand test-connection 'Check stored tokens live against Meta'
            cand debug-token 'Show Meta''s `debug_token` view of a token'
            cand list-accounts 'List a tenant''s business managers and ad accounts'
            cand audit 'Check every stored token; flag expired, invalid, missing-scope and expiring ones'
            cand import 'Import existing tokens from stdin, validated and stored encrypted'
            cand select 'Choose the business manager and ad account the CRM syncs for a tenant'
            cand refresh 'Extend long-lived tokens while Meta allows; report tenants that must consent again'
            cand keys 'Manage the key that encrypts tokens at rest'
            cand doctor 'Check the setup: settings, the Meta app, redirect URI, database, keys, version clocks, clock skew'
            cand deadlines 'Every upcoming date that will break something, soonest first (store only, no Meta call, no key)'
            cand log 'The audit log, newest first (no key needed)'
            cand leads 'Lead ads: install the app on the tenant''s Page for `leadgen`, and check the whole flow'
            cand relay-page 'Print the HTML page to host at an https:// META_REDIRECT_URI (a Live app''s relay): it forwards Meta''s answer to `connect` on this computer'
            cand completions 'Print a shell completion script on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;migrate'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run 'Apply pending migrations (the default)'
            cand status 'List applied and pending migrations; exit 3 when any is pending'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;migrate;run'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;migrate;status'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;migrate;help'= {
            cand run 'Apply pending migrations (the default)'
            cand status 'List applied and pending migrations; exit 3 when any is pending'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;migrate;help;run'= {
        }
        &'crm-meta;migrate;help;status'= {
        }
        &'crm-meta;migrate;help;help'= {
        }
        &'crm-meta;tenants'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a tenant'
            cand list 'Every tenant with its connection state (from the database; no network)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;tenants;add'= {
            cand --id 'The tenant''s id'
            cand --name 'The tenant''s display name'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;tenants;list'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;tenants;help'= {
            cand add 'Add a tenant'
            cand list 'Every tenant with its connection state (from the database; no network)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;tenants;help;add'= {
        }
        &'crm-meta;tenants;help;list'= {
        }
        &'crm-meta;tenants;help;help'= {
        }
        &'crm-meta;connect'= {
            cand --tenant 'The tenant''s id (a row of `tenants`)'
            cand --timeout 'Seconds to wait for the authorization to complete'
            cand --redirect-uri 'Redirect URI registered on the Meta app (must match exactly)'
            cand --loopback-port 'With an https:// redirect URI (a relay page): the loopback port to listen on [env: META_LOOPBACK_PORT] [default: 8765]'
            cand --scopes 'Permissions to request, comma separated'
            cand --config-id 'Facebook Login for Business configuration id, sent instead of the scopes'
            cand --business 'Business manager id'
            cand --ad-account 'Ad account id (`act_…`)'
            cand --page 'The Page whose lead ads reach the CRM (else the only one the user can advertise on, or a picker on a terminal)'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --no-browser 'Print the URL and read the redirected URL pasted back, instead of a loopback listener'
            cand --with-token 'Read an existing user or system-user token from stdin instead of running OAuth'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;disconnect'= {
            cand --tenant 'The tenant''s id (a row of `tenants`)'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --keep-remote 'Delete the stored token without revoking the app''s permissions at Meta'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;test-connection'= {
            cand --tenant 'The tenant to check'
            cand --max-usage 'Never push the app''s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --all 'Check every connected tenant'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;debug-token'= {
            cand --tenant 'The tenant whose stored token to inspect'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --token-stdin 'Read the token from stdin (needs no database)'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;list-accounts'= {
            cand --tenant 'The tenant''s id (a row of `tenants`)'
            cand --business 'Only this business manager'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;audit'= {
            cand --within 'Flag tokens (or data access) expiring within this many days'
            cand --concurrency 'Graph batch requests in flight at once'
            cand --format 'Output format (`--json` implies json); prometheus is the text exposition format'
            cand --metrics-file 'Also write the metrics, in Prometheus text format, to this file (atomically: for node_exporter''s textfile collector)'
            cand --max-usage 'Never push the app''s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;import'= {
            cand --format 'Input format on stdin'
            cand --max-usage 'Never push the app''s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;select'= {
            cand --tenant 'The tenant''s id (a row of `tenants`)'
            cand --business 'Business manager id'
            cand --ad-account 'Ad account id (`act_…`)'
            cand --page 'The Page whose lead ads reach the CRM (the user must have its ADVERTISE task); without an id, a picker on a terminal, or the only eligible Page. Alone, it leaves the ad account as it is'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;refresh'= {
            cand --tenant 'Only this tenant'
            cand --expiring-within 'Only tokens expiring within this many days'
            cand --max-usage 'Never push the app''s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;keys'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand rotate 'Make a new current key and re-encrypt every stored token under it'
            cand list 'Each key id: current or not, present or missing, and how many tokens use it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;keys;rotate'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --dry-run 'Check that every token decrypts with the keys held and report what would change; write nothing'
            cand --prune 'Afterwards, forget every key no row uses any more'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;keys;list'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;keys;help'= {
            cand rotate 'Make a new current key and re-encrypt every stored token under it'
            cand list 'Each key id: current or not, present or missing, and how many tokens use it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;keys;help;rotate'= {
        }
        &'crm-meta;keys;help;list'= {
        }
        &'crm-meta;keys;help;help'= {
        }
        &'crm-meta;doctor'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;deadlines'= {
            cand --within 'Only dates within this many days'
            cand --format 'Output format (`--json` implies json); ics is an RFC 5545 calendar'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;log'= {
            cand --tenant 'Only this tenant'
            cand --action 'Only this action (connect, disconnect, refresh, select, import, rotate, invalidate)'
            cand --since 'Only entries from this date (YYYY-MM-DD, UTC) or instant (RFC 3339) on'
            cand --limit 'At most this many entries'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;leads'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand subscribe 'Install the app on the tenant''s Page for the `leadgen` webhook field, then verify it'
            cand status 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app''s own `page`/`leadgen` subscription; exit 3 when a check fails'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;leads;subscribe'= {
            cand --tenant 'The tenant''s id (a row of `tenants`)'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;leads;status'= {
            cand --tenant 'Only this tenant'
            cand --concurrency 'Tenants checked at once with --all'
            cand --max-usage 'Never push the app''s reported Meta usage (X-App-Usage, X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --all 'Every connected tenant'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;leads;help'= {
            cand subscribe 'Install the app on the tenant''s Page for the `leadgen` webhook field, then verify it'
            cand status 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app''s own `page`/`leadgen` subscription; exit 3 when a check fails'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;leads;help;subscribe'= {
        }
        &'crm-meta;leads;help;status'= {
        }
        &'crm-meta;leads;help;help'= {
        }
        &'crm-meta;relay-page'= {
            cand --loopback-port 'The loopback port `connect` listens on, which the page forwards to [env: META_LOOPBACK_PORT] [default: 8765]'
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;completions'= {
            cand --database-url 'Database: `postgres://…` for production, `sqlite:…` for an embedded file. [default: sqlite://$CRM_META_HOME/crm-meta.db]'
            cand --json 'Print one JSON document on stdout; no colour, progress bars or prompts'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Only errors on stderr'
            cand --quiet 'Only errors on stderr'
            cand -y 'Answer yes to every confirmation; never prompt'
            cand --yes 'Answer yes to every confirmation; never prompt'
            cand --no-dotenv 'Do not read a `.env` file from the working directory'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'crm-meta;help'= {
            cand migrate 'Create or upgrade the CRM''s Meta tables (safe to run from several CI jobs at once)'
            cand tenants 'Manage tenants where crm-meta owns the `tenants` table'
            cand connect 'Connect a tenant''s Meta account: OAuth in the browser, then a verified, encrypted long-lived token'
            cand disconnect 'Revoke the app at Meta and delete the tenant''s stored token'
            cand test-connection 'Check stored tokens live against Meta'
            cand debug-token 'Show Meta''s `debug_token` view of a token'
            cand list-accounts 'List a tenant''s business managers and ad accounts'
            cand audit 'Check every stored token; flag expired, invalid, missing-scope and expiring ones'
            cand import 'Import existing tokens from stdin, validated and stored encrypted'
            cand select 'Choose the business manager and ad account the CRM syncs for a tenant'
            cand refresh 'Extend long-lived tokens while Meta allows; report tenants that must consent again'
            cand keys 'Manage the key that encrypts tokens at rest'
            cand doctor 'Check the setup: settings, the Meta app, redirect URI, database, keys, version clocks, clock skew'
            cand deadlines 'Every upcoming date that will break something, soonest first (store only, no Meta call, no key)'
            cand log 'The audit log, newest first (no key needed)'
            cand leads 'Lead ads: install the app on the tenant''s Page for `leadgen`, and check the whole flow'
            cand relay-page 'Print the HTML page to host at an https:// META_REDIRECT_URI (a Live app''s relay): it forwards Meta''s answer to `connect` on this computer'
            cand completions 'Print a shell completion script on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'crm-meta;help;migrate'= {
            cand run 'Apply pending migrations (the default)'
            cand status 'List applied and pending migrations; exit 3 when any is pending'
        }
        &'crm-meta;help;migrate;run'= {
        }
        &'crm-meta;help;migrate;status'= {
        }
        &'crm-meta;help;tenants'= {
            cand add 'Add a tenant'
            cand list 'Every tenant with its connection state (from the database; no network)'
        }
        &'crm-meta;help;tenants;add'= {
        }
        &'crm-meta;help;tenants;list'= {
        }
        &'crm-meta;help;connect'= {
        }
        &'crm-meta;help;disconnect'= {
        }
        &'crm-meta;help;test-connection'= {
        }
        &'crm-meta;help;debug-token'= {
        }
        &'crm-meta;help;list-accounts'= {
        }
        &'crm-meta;help;audit'= {
        }
        &'crm-meta;help;import'= {
        }
        &'crm-meta;help;select'= {
        }
        &'crm-meta;help;refresh'= {
        }
        &'crm-meta;help;keys'= {
            cand rotate 'Make a new current key and re-encrypt every stored token under it'
            cand list 'Each key id: current or not, present or missing, and how many tokens use it'
        }
        &'crm-meta;help;keys;rotate'= {
        }
        &'crm-meta;help;keys;list'= {
        }
        &'crm-meta;help;doctor'= {
        }
        &'crm-meta;help;deadlines'= {
        }
        &'crm-meta;help;log'= {
        }
        &'crm-meta;help;leads'= {
            cand subscribe 'Install the app on the tenant''s Page for the `leadgen` webhook field, then verify it'
            cand status 'Page chosen, app installed with `leadgen`, lead access, permissions, and the app''s own `page`/`leadgen` subscription; exit 3 when a check fails'
        }
        &'crm-meta;help;leads;subscribe'= {
        }
        &'crm-meta;help;leads;status'= {
        }
        &'crm-meta;help;relay-page'= {
        }
        &'crm-meta;help;completions'= {
        }
        &'crm-meta;help;help'= {
        }
    ]
    $completions[$command]
}
