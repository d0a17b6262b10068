package io.jirasend

import com.cloudbees.groovy.cps.NonCPS

/**
 * Runs jira-send on the agent for one step call: the binary found or installed
 * (resources/io/jirasend/install.sh), the Jenkins credentials bound into the
 * environment, and every argument handed over in environment variables, so that the
 * shell scripts are constant text and no value, secret or not, is ever part of one.
 */
class Runner implements Serializable {
    private static final long serialVersionUID = 1L

    /**
     * Rebuilds the argument list from JIRA_SEND_ARG_1..JIRA_SEND_ARGC, runs jira-send
     * with it, and prints its exit code on a last line of its own (`sh` returns stdout or
     * the status, not both). `eval` only ever sees `$JIRA_SEND_ARG_<number>`, never a value.
     */
    static final String RUN_SCRIPT = '''#!/bin/sh
set -u
set --
i=1
while [ "$i" -le "$JIRA_SEND_ARGC" ]; do
    eval "set -- \\"\\$@\\" \\"\\$JIRA_SEND_ARG_$i\\""
    eval "unset JIRA_SEND_ARG_$i"
    i=$((i + 1))
done
run="$JIRA_SEND_RUN"
unset JIRA_SEND_ARGC JIRA_SEND_RUN i
status=0
"$run" "$@" || status=$?
printf '\\n%s%s\\n' "jira-send-exit-code=" "$status"
'''

    private static final String EXIT_MARK = 'jira-send-exit-code='

    private final Object steps
    private final String step

    /** `steps`: the pipeline script (`this` in a vars/ step); `step`: the step's name, for the log. */
    Runner(Object steps, String step) {
        this.steps = steps
        this.step = step
    }

    /**
     * A sending step from start to end: `prepared` is what Arguments made of the
     * parameters. Logs one line per site as the plugin does, and fails the build only
     * with `failOnError: true`.
     */
    List<SiteResult> send(String command, Map params, Map prepared) {
        warnUnknown(params)
        String site = Arguments.text(params.site) ?: Arguments.text(steps.env.JIRA_SITE)
        List<SiteResult> results
        if (prepared.status != null) {
            results = [new SiteResult(site, prepared.status, prepared.message)]
        } else {
            Map ran = run(prepared.argv, params)
            results = ran.status != null
                ? [new SiteResult(site, ran.status, ran.message)]
                : Results.of(command, ran.stdout, ran.exitCode, site)
        }
        for (SiteResult r : results) {
            steps.echo("${step}(${r.site}): ${r.status}: ${r.message}".toString())
        }
        String failed = failures(results)
        if (failed != null && Arguments.yes(params.failOnError)) {
            steps.error("${step} failed (failOnError: true): ${failed}".toString())
        }
        return results
    }

    /** The failed sites, one after the other, or null when none failed. */
    @NonCPS
    private static String failures(List<SiteResult> results) {
        List<SiteResult> failed = results.findAll { it.failure }
        return failed.isEmpty() ? null : failed.collect { it.toString() }.join('; ')
    }

    /** Says which parameters the step ignores: the plugin would have refused them. */
    void warnUnknown(Map params) {
        List<String> unknown = Arguments.unknown(step, params)
        if (!unknown.isEmpty()) {
            steps.echo("${step}: WARNING: unknown parameter(s) ignored: ${unknown.join(', ')}".toString())
        }
    }

    /**
     * Runs jira-send with `argv`. Returns `[exitCode:, stdout:]`, or `[status:, message:]`
     * with a plugin-style failure when it could not be run.
     */
    Map run(List<String> argv, Map params) {
        if (!steps.isUnix()) {
            return [status: 'FAILURE_JIRA_SEND_UNAVAILABLE', message: "${step} runs jira-send with `sh`: use a Linux or macOS agent".toString()]
        }
        String binary
        try {
            binary = install(params)
        } catch (Exception e) {
            rethrowInterruption(e)
            return [status: 'FAILURE_JIRA_SEND_UNAVAILABLE',
                    message: "jira-send could not be found or installed (see the messages above): ${e.message}".toString()]
        }
        List<Map> credentials = Arguments.credentials(params, steps.env.JIRA_SEND_CREDENTIALS_ID)
        List<String> env = Arguments.argvEnvironment(binary, argv) + Arguments.runEnvironment(params)
        String stdout
        try {
            stdout = withCredentials(credentials) {
                steps.withEnv(env) {
                    steps.sh(script: RUN_SCRIPT, returnStdout: true, encoding: 'UTF-8',
                             label: "jira-send ${argv[0]}".toString())
                }
            }
        } catch (Exception e) {
            rethrowInterruption(e)
            if (e.getClass().getName().endsWith('CredentialNotFoundException')) {
                return [status: 'FAILURE_SECRET_NOT_FOUND', message: e.message]
            }
            throw e
        }
        return split(stdout)
    }

    /** The path of a jira-send binary on the agent: install.sh's only line on stdout. */
    private String install(Map params) {
        String cache = null
        if (Arguments.text(params.toolCache) == null && Arguments.text(steps.env.JIRA_SEND_TOOL_CACHE) == null) {
            cache = steps.pwd(tmp: true) + '/jira-send'
        }
        String script = steps.libraryResource('io/jirasend/install.sh')
        String out = steps.withEnv(Arguments.installEnvironment(params, cache)) {
            steps.sh(script: script, returnStdout: true, label: 'find or install jira-send')
        }
        return lastLine(out)
    }

    private Object withCredentials(List<Map> credentials, Closure body) {
        if (credentials.isEmpty()) {
            return body()
        }
        // A plain loop: pipeline steps are not called from closures given to collect().
        List bindings = []
        for (Map c : credentials) {
            bindings.add(c.variable != null
                ? steps.string(credentialsId: c.credentialsId, variable: c.variable)
                : steps.usernamePassword(credentialsId: c.credentialsId, usernameVariable: c.usernameVariable,
                                         passwordVariable: c.passwordVariable))
        }
        return steps.withCredentials(bindings) { body() }
    }

    /** An abort of the run (a user, a timeout) must stop it, whatever the step's contract. */
    @NonCPS
    private static void rethrowInterruption(Exception e) {
        String name = e.getClass().getName()
        if (name.endsWith('FlowInterruptedException') || e instanceof InterruptedException) {
            throw e
        }
    }

    @NonCPS
    private static String lastLine(String text) {
        List<String> lines = ((text ?: '').split('\n') as List).collect { it.trim() }.findAll { it }
        return lines.isEmpty() ? '' : lines.get(lines.size() - 1)
    }

    /** jira-send's stdout and exit code, from what RUN_SCRIPT printed. */
    @NonCPS
    static Map split(String out) {
        String text = out ?: ''
        int mark = text.lastIndexOf(EXIT_MARK)
        if (mark < 0) {
            return [exitCode: -1, stdout: text]
        }
        String code = text.substring(mark + EXIT_MARK.length()).trim()
        return [exitCode: code.matches('[0-9]+') ? Integer.parseInt(code) : -1, stdout: text.substring(0, mark)]
    }
}
