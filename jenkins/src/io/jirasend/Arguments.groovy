package io.jirasend

import com.cloudbees.groovy.cps.NonCPS

/**
 * The steps' parameters, checked the way the Atlassian plugin checks them, and turned
 * into jira-send's command line and environment. Pure functions of their inputs (no
 * pipeline steps), hence @NonCPS and tested directly.
 */
class Arguments implements Serializable {
    private static final long serialVersionUID = 1L

    static final List<String> BUILD_STATES = ['pending', 'in_progress', 'successful', 'failed', 'cancelled', 'unknown']
    /** In the plugin's order, which its error message shows. */
    static final List<String> DEPLOYMENT_STATES = ['unknown', 'pending', 'in_progress', 'cancelled', 'failed', 'rolled_back', 'successful']
    static final List<String> ENVIRONMENT_TYPES = ['development', 'testing', 'staging', 'production', 'unmapped']

    /** Taken by every step: where and as whom to send, how to get jira-send, what to do on failure. */
    static final List<String> COMMON = [
        'site', 'credentialsId', 'clientId', 'failOnError', 'dryRun', 'args',
        'jiraSendPath', 'jiraSendVersion', 'jiraSendSha256', 'releaseUrl', 'toolCache',
    ]
    static final Map<String, List<String>> OWN = [
        jiraSendBuildInfo     : ['branch', 'state', 'issueKeys', 'label', 'testResults'],
        jiraSendDeploymentInfo: ['environmentId', 'environmentName', 'environmentType', 'state', 'serviceIds',
                                 'enableGating', 'issueKeys', 'recordDeployment'],
        checkGatingStatus     : ['environmentId', 'environmentName', 'wait', 'waitTimeout', 'pollInterval'],
    ]

    /**
     * The Jira state of a run whose result is `result` (currentBuild.currentResult), as
     * the plugin maps it: a run still without a result is in progress.
     */
    @NonCPS
    static String stateOf(Object result) {
        switch (result == null ? null : result.toString()) {
            case null: return 'in_progress'
            case 'SUCCESS': return 'successful'
            case 'FAILURE': return 'failed'
            case 'ABORTED': return 'cancelled'
            default: return 'unknown' // UNSTABLE, NOT_BUILT
        }
    }

    /** Parameters `step` does not know: a typo here would otherwise be silently ignored. */
    @NonCPS
    static List<String> unknown(String step, Map params) {
        List<String> known = COMMON + OWN[step]
        return params.keySet().collect { it.toString() }.findAll { !(it in known) }.sort()
    }

    /**
     * jiraSendBuildInfo: `[argv: [...]]`, or `[status:, message:]` for a parameter the
     * plugin would have refused.
     */
    @NonCPS
    static Map build(Map params, Object currentResult) {
        String state = text(params.state) ?: stateOf(currentResult)
        if (!(state in BUILD_STATES)) {
            return refused('FAILURE_STATE_INVALID', stateMessage(BUILD_STATES, state))
        }
        List<String> argv = head('build', params)
        option(argv, '--branch', params.branch)
        argv.addAll(['--state', state])
        list(params.issueKeys).each { argv.addAll(['--issue-key', it]) }
        option(argv, '--label', params.label)
        // Each glob its own --junit: a comma may belong to a glob ({unit,it}).
        Object reports = params.testResults instanceof Collection ? params.testResults : [params.testResults]
        reports.each { option(argv, '--junit', it) }
        return [argv: tail(argv, params)]
    }

    /** jiraSendDeploymentInfo, as `build`. */
    @NonCPS
    static Map deployment(Map params, Object currentResult) {
        Map environment = environment(params, true)
        if (environment.status) {
            return environment
        }
        String type = text(params.environmentType)
        if (type != null && !(type in ENVIRONMENT_TYPES)) {
            return refused('FAILURE_ENVIRONMENT_INVALID',
                "The parameter environmentType is not valid. Allowed values are: ${ENVIRONMENT_TYPES}. Provided value was: '${type}'")
        }
        String state = text(params.state) ?: stateOf(currentResult)
        if (!(state in DEPLOYMENT_STATES)) {
            return refused('FAILURE_STATE_INVALID', stateMessage(DEPLOYMENT_STATES, state))
        }
        List<String> argv = head('deployment', params)
        argv.addAll(environment.argv)
        option(argv, '--environment-type', type)
        argv.addAll(['--state', state])
        list(params.serviceIds).each { argv.addAll(['--service', it]) }
        if (yes(params.enableGating)) {
            argv.add('--gate')
        }
        list(params.issueKeys).each { argv.addAll(['--issue-key', it]) }
        if (yes(params.recordDeployment)) {
            argv.add('--record-deployment')
        }
        return [argv: tail(argv, params)]
    }

    /** checkGatingStatus, as `build`. */
    @NonCPS
    static Map gate(Map params) {
        Map environment = environment(params, false)
        if (environment.status) {
            return environment
        }
        List<String> argv = head('gate', params)
        argv.addAll(environment.argv)
        if (yes(params.wait)) {
            argv.add('--wait')
            option(argv, '--wait-timeout', params.waitTimeout)
            option(argv, '--poll-interval', params.pollInterval)
        }
        return [argv: tail(argv, params)]
    }

    /**
     * The deployment's environment. The plugin requires both an id and a name; jira-send
     * derives a stable id from the name, so either one is enough here. A deployment
     * shows its environment by name (`needsName`): given only an id, the id is its name
     * too. A gate check names the environment by id alone, so each is passed as given.
     */
    @NonCPS
    private static Map environment(Map params, boolean needsName) {
        String name = text(params.environmentName)
        String id = text(params.environmentId)
        if (name == null && id == null) {
            return refused('FAILURE_ENVIRONMENT_INVALID', 'The parameter environmentName is required.')
        }
        List<String> argv = []
        option(argv, '--environment', needsName ? (name ?: id) : name)
        option(argv, '--environment-id', id)
        return [argv: argv]
    }

    /**
     * The Jenkins credentials to bind around the run: `credentialsId` is a "Username with
     * password" credential (client id, secret), or with `clientId` a "Secret text" holding
     * the secret; a map of site → credentials id binds each site's own pair
     * (JIRA_CLIENT_ID_<HOST>), as jira-send reads them for several sites.
     * Each entry: `[credentialsId:, usernameVariable:, passwordVariable:]` or
     * `[credentialsId:, variable:]`.
     */
    @NonCPS
    static List<Map> credentials(Map params, String defaultId) {
        Object ids = params.credentialsId != null ? params.credentialsId : text(defaultId)
        if (ids instanceof Map) {
            return ids.collect { site, id ->
                String host = hostVariable(site.toString())
                [credentialsId: id.toString(), usernameVariable: "JIRA_CLIENT_ID_${host}".toString(),
                 passwordVariable: "JIRA_CLIENT_SECRET_${host}".toString()]
            }
        }
        String id = text(ids)
        if (id == null) {
            return []
        }
        if (text(params.clientId) != null) {
            return [[credentialsId: id, variable: 'JIRA_CLIENT_SECRET']]
        }
        return [[credentialsId: id, usernameVariable: 'JIRA_CLIENT_ID', passwordVariable: 'JIRA_CLIENT_SECRET']]
    }

    /** Variables (not secrets) set around the run: the client id given as a parameter. */
    @NonCPS
    static List<String> runEnvironment(Map params) {
        String clientId = text(params.clientId)
        return clientId == null ? [] : ["JIRA_CLIENT_ID=${clientId}".toString()]
    }

    /** What install.sh reads: only the parameters given, so the agent's own settings stay. */
    @NonCPS
    static List<String> installEnvironment(Map params, String defaultCache) {
        List<String> env = []
        [jiraSendPath: 'JIRA_SEND_BIN', jiraSendVersion: 'JIRA_SEND_VERSION', jiraSendSha256: 'JIRA_SEND_SHA256',
         releaseUrl  : 'JIRA_SEND_RELEASE_URL', toolCache: 'JIRA_SEND_TOOL_CACHE'].each { param, variable ->
            String value = text(params[param])
            if (value != null) {
                env.add("${variable}=${value}".toString())
            }
        }
        if (text(params.toolCache) == null && defaultCache != null) {
            env.add("JIRA_SEND_TOOL_CACHE=${defaultCache}".toString())
        }
        return env
    }

    /**
     * The variables that carry `argv` to the run script: JIRA_SEND_ARGC and
     * JIRA_SEND_ARG_1…N. Values travel in the environment, never in a script's text,
     * so no value can be read as shell syntax.
     */
    @NonCPS
    static List<String> argvEnvironment(String binary, List<String> argv) {
        List<String> env = ["JIRA_SEND_RUN=${binary}".toString(), "JIRA_SEND_ARGC=${argv.size()}".toString()]
        argv.eachWithIndex { value, i -> env.add("JIRA_SEND_ARG_${i + 1}=${value}".toString()) }
        return env
    }

    /** `acme.atlassian.net` → `ACME_ATLASSIAN_NET`; `acme` and URLs name the same host. */
    @NonCPS
    static String hostVariable(String site) {
        String host = site.trim().replaceFirst('^[A-Za-z][A-Za-z0-9+.-]*://', '').replaceFirst('[/?#].*$', '')
        if (!host.contains('.') && !host.contains(':')) {
            host = host + '.atlassian.net'
        }
        return host.toUpperCase().replaceAll('[^A-Z0-9]', '_')
    }

    @NonCPS
    private static List<String> head(String command, Map params) {
        List<String> argv = [command, '--output', 'json']
        Object sites = params.site
        if (sites == null && params.credentialsId instanceof Map) {
            sites = params.credentialsId.keySet().join(',')
        }
        option(argv, '--site', sites)
        return argv
    }

    @NonCPS
    private static List<String> tail(List<String> argv, Map params) {
        if (yes(params.dryRun)) {
            argv.add('--dry-run')
        }
        // Passed as they are: a list is the way to give a value with spaces.
        Object extra = params.args
        if (extra instanceof CharSequence) {
            extra = (extra.toString().trim().split('\\s+') as List).findAll { it }
        }
        if (extra instanceof Collection) {
            extra.findAll { it != null }.each { argv.add(it.toString()) }
        }
        return argv
    }

    @NonCPS
    private static Map refused(String status, String message) {
        return [status: status, message: message]
    }

    /** The plugin's words (StateValidator). */
    @NonCPS
    private static String stateMessage(List<String> allowed, String given) {
        return "The parameter state is not valid. Allowed values are: ${allowed}. Provided value was: '${given}'".toString()
    }

    @NonCPS
    private static void option(List<String> argv, String flag, Object value) {
        String v = text(value instanceof Collection ? value.join(',') : value)
        if (v != null) {
            argv.addAll([flag, v])
        }
    }

    /** A trimmed string, or null for null and blank. */
    @NonCPS
    static String text(Object value) {
        if (value == null) {
            return null
        }
        String s = value.toString().trim()
        return s.isEmpty() ? null : s
    }

    /** A list parameter: a List, or a comma-separated String. */
    @NonCPS
    static List<String> list(Object value) {
        if (value == null) {
            return []
        }
        Collection items = value instanceof Collection ? value : (value.toString().split(',') as List)
        return items.collect { text(it) }.findAll { it != null }
    }

    @NonCPS
    static boolean yes(Object value) {
        return value == true || (value instanceof CharSequence && value.toString().trim().equalsIgnoreCase('true'))
    }
}
