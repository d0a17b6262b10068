/**
 * A stand-in for the parts of the Jenkins pipeline DSL the library uses: `env`,
 * `currentBuild`, `sh`, `echo`, `error`, `withEnv`, `withCredentials` (with
 * `usernamePassword` and `string`), `libraryResource`, `pwd`, `isUnix`. It records every
 * call, and `sh` really runs its script with /bin/sh in the environment Jenkins would
 * give it, so whatever the script runs (a recording fake jira-send, or the real binary)
 * sees exactly what it would see on an agent.
 */
class Pipeline {
    /** The run's environment, as a node block gives it to `sh`. */
    final Map<String, String> env = [:]
    /** withEnv/withCredentials scopes, innermost last. */
    private final List<Map<String, String>> scopes = []
    /** Credentials store: id → [username:, password:] or [secret:]. */
    final Map<String, Map<String, String>> credentials = [:]
    final CurrentBuild currentBuild = new CurrentBuild()
    boolean unix = true
    final File workspace
    final File tmp
    final File libraryRoot

    /** Every `sh` call: script, env, returnStdout, returnStatus, label, status, stdout, stderr. */
    final List<Map> shCalls = []
    /** The console: echo lines and what scripts wrote to stderr. */
    final List<String> log = []
    /** Every `error` message. */
    final List<String> errors = []
    /** Every credential bound, with the secrets it exposed. */
    final List<Map> bindings = []

    Pipeline(File workspace, File libraryRoot) {
        this.workspace = workspace
        this.tmp = new File(workspace.path + '@tmp')
        this.libraryRoot = libraryRoot
        tmp.mkdirs()
    }

    /** The environment a step sees now: the run's, then each enclosing scope. */
    Map<String, String> effectiveEnv() {
        Map<String, String> all = new LinkedHashMap<>(env)
        scopes.each { all.putAll(it) }
        return all
    }

    Object sh(Map args) {
        String script = args.script
        Map<String, String> environment = effectiveEnv()
        File file = File.createTempFile('script', '.sh', tmp)
        file.text = script
        // Jenkins runs a script with a #! line by that interpreter, any other with `sh -xe`.
        List<String> command = script.startsWith('#!')
            ? (script.readLines()[0].substring(2).trim().split(/\s+/) as List) + [file.path]
            : ['/bin/sh', '-xe', file.path]
        ProcessBuilder builder = new ProcessBuilder(command).directory(workspace)
        builder.environment().clear()
        builder.environment().putAll(environment)
        Process process = builder.start()
        process.outputStream.close()
        ByteArrayOutputStream out = new ByteArrayOutputStream()
        ByteArrayOutputStream err = new ByteArrayOutputStream()
        process.waitForProcessOutput(out, err)
        int status = process.waitFor()
        file.delete()
        String stdout = out.toString('UTF-8')
        String stderr = err.toString('UTF-8')
        shCalls << [script: script, env: environment, returnStdout: args.returnStdout ?: false,
                    returnStatus: args.returnStatus ?: false, label: args.label, status: status,
                    stdout: stdout, stderr: stderr]
        log.addAll(stderr.readLines())
        if (!args.returnStdout) {
            log.addAll(stdout.readLines())
        }
        if (args.returnStatus) {
            return status
        }
        if (status != 0) {
            throw new ScriptFailed("script returned exit code ${status}")
        }
        return args.returnStdout ? stdout : null
    }

    void echo(String message) {
        log << message
    }

    void error(String message) {
        errors << message
        throw new PipelineError(message)
    }

    Object withEnv(List<String> overrides, Closure body) {
        Map<String, String> scope = [:]
        overrides.each { String entry ->
            int eq = entry.indexOf('=')
            scope[entry.substring(0, eq)] = entry.substring(eq + 1)
        }
        return inScope(scope, body)
    }

    Map usernamePassword(Map args) {
        return [kind: 'usernamePassword'] + args
    }

    Map string(Map args) {
        return [kind: 'string'] + args
    }

    /** Binds like the Credentials Binding plugin; an unknown id or wrong kind fails as it does. */
    Object withCredentials(List<Map> requested, Closure body) {
        Map<String, String> scope = [:]
        requested.each { Map binding ->
            Map<String, String> stored = credentials[binding.credentialsId]
            if (stored == null) {
                throw new CredentialNotFoundException("Could not find credentials entry with ID '${binding.credentialsId}'")
            }
            if (binding.kind == 'usernamePassword') {
                if (stored.password == null) {
                    throw new CredentialNotFoundException("Credentials '${binding.credentialsId}' is of type 'Secret text' where 'Username with password' was expected")
                }
                scope[binding.usernameVariable] = stored.username
                scope[binding.passwordVariable] = stored.password
                bindings << [id: binding.credentialsId, secrets: [stored.password]]
            } else {
                if (stored.secret == null) {
                    throw new CredentialNotFoundException("Credentials '${binding.credentialsId}' is of type 'Username with password' where 'Secret text' was expected")
                }
                scope[binding.variable] = stored.secret
                bindings << [id: binding.credentialsId, secrets: [stored.secret]]
            }
        }
        return inScope(scope, body)
    }

    String libraryResource(String path) {
        return new File(libraryRoot, "resources/${path}").getText('UTF-8')
    }

    String pwd(Map args = [:]) {
        return args.tmp ? tmp.path : workspace.path
    }

    private Object inScope(Map<String, String> scope, Closure body) {
        scopes << scope
        try {
            return body()
        } finally {
            scopes.remove(scopes.size() - 1)
        }
    }

    /** The calls whose script is not the install script: the jira-send runs. */
    List<Map> runs() {
        String install = libraryResource('io/jirasend/install.sh')
        return shCalls.findAll { it.script != install }
    }
}

/** `currentBuild`: what the library reads and sets. */
class CurrentBuild {
    String currentResult = 'SUCCESS'
    String result = null
}

/** `env`: reads and writes the run's environment as Jenkins' EnvActionImpl does. */
class EnvView {
    private final Pipeline pipeline

    EnvView(Pipeline pipeline) {
        this.pipeline = pipeline
    }

    Object getProperty(String name) {
        return pipeline.effectiveEnv()[name]
    }

    void setProperty(String name, Object value) {
        pipeline.env[name] = value?.toString()
    }
}

/** hudson.AbortException, as `error` throws it. */
class PipelineError extends RuntimeException {
    PipelineError(String message) { super(message) }
}

/** What a failing `sh` throws. */
class ScriptFailed extends RuntimeException {
    ScriptFailed(String message) { super(message) }
}

/** The Credentials Binding plugin's exception, by its simple name. */
class CredentialNotFoundException extends IOException {
    CredentialNotFoundException(String message) { super(message) }
}

/** The base class of vars/ scripts under test: the global DSL, delegated to a Pipeline. */
abstract class PipelineScript extends Script {
    Pipeline getPipeline() { (Pipeline) binding.getVariable('pipeline') }

    EnvView getEnv() { new EnvView(pipeline) }

    CurrentBuild getCurrentBuild() { pipeline.currentBuild }

    Object sh(Map args) { pipeline.sh(args) }

    Object sh(String script) { pipeline.sh(script: script) }

    void echo(Object message) { pipeline.echo(message.toString()) }

    void error(Object message) { pipeline.error(message.toString()) }

    Object withEnv(List<String> overrides, Closure body) { pipeline.withEnv(overrides, body) }

    Object withCredentials(List<Map> bindings, Closure body) { pipeline.withCredentials(bindings, body) }

    Map usernamePassword(Map args) { pipeline.usernamePassword(args) }

    Map string(Map args) { pipeline.string(args) }

    String libraryResource(String path) { pipeline.libraryResource(path) }

    String pwd(Map args = [:]) { pipeline.pwd(args) }

    boolean isUnix() { pipeline.unix }
}
