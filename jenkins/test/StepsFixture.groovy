import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.runtime.InvokerHelper

/**
 * What every test of the steps starts from: a workspace that is a git repository, a
 * Jenkins-like environment, a credential, the stand-in pipeline, and a fake jira-send
 * that records its argv and environment and answers what the test says.
 */
class StepsFixture {
    static final String CLIENT_ID = 'client-id-1234'
    /** Shell syntax inside: a script that interpolated it would run it. */
    static final String SECRET = 's3cr3t"$(touch PWNED-secret)`id`\'; x'
    static final String RUN_SCRIPT = io.jirasend.Runner.RUN_SCRIPT

    private static final Map<String, Class> VARS = [:]

    final File root
    final File workspace
    final File bin
    final File records
    final File library
    final Pipeline pipeline

    StepsFixture() {
        library = new File(System.getenv('JIRA_SEND_LIBRARY') ?: 'jenkins').canonicalFile
        root = File.createTempDir('jira-send-steps', '')
        workspace = new File(root, 'workspace')
        bin = new File(root, 'bin')
        records = new File(root, 'records')
        [workspace, bin, records, new File(root, 'home')].each { it.mkdirs() }
        gitRepository()
        pipeline = new Pipeline(workspace, library)
        pipeline.env.putAll([
            PATH        : "${bin.path}:/usr/local/bin:/usr/bin:/bin".toString(),
            HOME        : new File(root, 'home').path,
            LANG        : 'C.UTF-8',
            JENKINS_URL : 'https://ci.example.com/',
            JOB_NAME    : 'acme/app/main',
            JOB_URL     : 'https://ci.example.com/job/acme/job/app/job/main/',
            BUILD_NUMBER: '42',
            BUILD_URL   : 'https://ci.example.com/job/acme/job/app/job/main/42/',
            BRANCH_NAME : 'feature/ABC-12-login',
            WORKSPACE   : workspace.path,
        ])
        pipeline.credentials['jira-oauth'] = [username: CLIENT_ID, password: SECRET]
        pipeline.credentials['jira-secret-text'] = [secret: SECRET]
        fakeJiraSend('{"command":"build","dryRun":false,"issueKeys":[],"keySources":{},"sites":[],"notice":"no keys","exitCode":0}', 0)
    }

    void cleanUp() {
        root.deleteDir()
    }

    /** Runs the vars/ step `name` with `params` in the stand-in pipeline. */
    Object step(String name, Map params = [:]) {
        Class type
        synchronized (VARS) {
            type = VARS[name]
            if (type == null) {
                CompilerConfiguration config = new CompilerConfiguration()
                config.scriptBaseClass = 'PipelineScript'
                GroovyShell shell = new GroovyShell(getClass().classLoader, new Binding(), config)
                type = shell.parse(new File(library, "vars/${name}.groovy")).getClass()
                VARS[name] = type
            }
        }
        Script script = InvokerHelper.createScript(type, new Binding([pipeline: pipeline]))
        return script.invokeMethod('call', [params] as Object[])
    }

    /**
     * Puts a `jira-send` on the PATH that records each call (argv NUL-separated, the
     * environment from `env -0`) under records/N/, prints `stdout` and exits `exit`.
     */
    void fakeJiraSend(String stdout, int exit, File where = new File(bin, 'jira-send')) {
        File reply = new File(root, 'reply.json')
        reply.text = stdout
        where.text = """#!/bin/sh
n=\$(ls '${records.path}' | wc -l)
d='${records.path}'/\$n
mkdir -p "\$d"
for a in "\$@"; do printf '%s\\000' "\$a"; done > "\$d/argv"
env -0 > "\$d/env"
cat '${reply.path}'
exit ${exit}
"""
        where.setExecutable(true)
    }

    /** What the fake recorded: `[argv: [...], env: [name: value]]` per call. */
    List<Map> calls() {
        return (records.listFiles() ?: []).sort { it.name as int }.collect { File d ->
            [argv: nulSeparated(new File(d, 'argv')),
             env : nulSeparated(new File(d, 'env')).collectEntries { String e ->
                 int eq = e.indexOf('=')
                 [(e.substring(0, eq)): e.substring(eq + 1)]
             }]
        }
    }

    /** The variables jira-send got beyond the run's own (the shell's bookkeeping aside). */
    Map<String, String> added(Map<String, String> env) {
        Map<String, String> extra = env.findAll { k, v -> pipeline.env[k] != v }
        return extra.findAll { k, v -> !(k in ['PWD', 'OLDPWD', 'SHLVL', '_']) }
    }

    /** Everything a secret must never be part of: scripts, the console, argv. */
    List<String> exposed() {
        return pipeline.shCalls.collect { it.script } + pipeline.log + pipeline.errors +
            calls().collectMany { it.argv }
    }

    static List<String> nulSeparated(File file) {
        String text = file.getText('UTF-8')
        return text.isEmpty() ? [] : text.split('\u0000', -1).toList().dropRight(1)
    }

    static String run(File dir, Map<String, String> env, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir).redirectErrorStream(true)
        builder.environment().putAll(env)
        Process process = builder.start()
        String out = process.inputStream.getText('UTF-8')
        assert process.waitFor() == 0: "${command}: ${out}"
        return out
    }

    /** A branch named for an issue, and a commit naming another. */
    private void gitRepository() {
        Map<String, String> env = [
            HOME               : root.path, GIT_CONFIG_NOSYSTEM: '1',
            GIT_AUTHOR_NAME    : 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com',
            GIT_COMMITTER_NAME : 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com',
        ]
        run(workspace, env, ['git', 'init', '-q', '-b', 'feature/ABC-12-login'])
        new File(workspace, 'README').text = 'app\n'
        run(workspace, env, ['git', 'add', 'README'])
        run(workspace, env, ['git', 'commit', '-q', '-m', 'ABC-13 Add the login page'])
    }
}
