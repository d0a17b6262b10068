import groovy.json.JsonSlurper
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.runtime.InvokerHelper
import org.junit.After
import org.junit.Before
import org.junit.Test

/**
 * The migration's promise: a Jenkinsfile written for the plugin's three steps runs with
 * the library line and a credential. examples/jenkins-library/Jenkinsfile (the README's
 * "after") runs in a declarative stand-in with the real jira-send against a fake Jira.
 */
class ExampleTest {
    StepsFixture f
    FakeJira jira
    File jenkinsfile

    @Before
    void setUp() {
        String binary = System.getenv('JIRA_SEND_TEST_BINARY')
        assert binary && new File(binary).canExecute(): 'JIRA_SEND_TEST_BINARY must name a built jira-send'
        f = new StepsFixture()
        jenkinsfile = new File(f.library.parentFile, 'examples/jenkins-library/Jenkinsfile')
        // The real binary on the agent's PATH; `make test` writes a JUnit report.
        File onPath = new File(f.bin, 'jira-send')
        onPath.delete()
        java.nio.file.Files.createSymbolicLink(onPath.toPath(), new File(binary).toPath())
        new File(f.bin, 'make').text = '''#!/bin/sh
mkdir -p build/test-results
printf '<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>' > build/test-results/TEST-a.xml
'''
        new File(f.workspace, 'deploy.sh').text = '#!/bin/sh\necho "deploying to $1" > deployed\n'
        [new File(f.bin, 'make'), new File(f.workspace, 'deploy.sh')]*.setExecutable(true)
        jira = new FakeJira()
        f.pipeline.env.putAll(jira.environment(new File(f.root, 'cache')))
        // The example names acme.atlassian.net: its cloud id is given, so nothing asks the site.
        f.pipeline.env.JIRA_CLOUD_ID = FakeJira.CLOUD_ID
        f.pipeline.env.BRANCH_NAME = 'main'
    }

    @After
    void tearDown() {
        jira?.stop()
        f?.cleanUp()
    }

    private void runJenkinsfile() {
        CompilerConfiguration config = new CompilerConfiguration()
        config.scriptBaseClass = 'DeclarativeScript'
        Class type = new GroovyShell(getClass().classLoader, new Binding(), config).parse(jenkinsfile).getClass()
        InvokerHelper.createScript(type, new Binding([pipeline: f.pipeline, fixture: f])).run()
    }

    @Test
    void thePluginsJenkinsfileRunsWithTheLibraryLineAndACredential() {
        runJenkinsfile()

        assert new File(f.workspace, 'deployed').text == 'deploying to production\n'
        List<Map> bodies = jira.requestsTo('/bulk').collect { new JsonSlurper().parseText(it.body) }
        List<Map> deployments = bodies.findAll { it.deployments }.collect { it.deployments[0] }
        assert deployments*.state == ['pending', 'successful']
        assert deployments*.environment.unique() == [[id: 'us-prod-1', displayName: 'Production US', type: 'production']]
        assert deployments[0].commands == [[command: 'initiate_deployment_gating']]
        assert jira.requestsTo('gating-status').size() == 1

        Map build = bodies.find { it.builds }.builds[0]
        assert [build.pipelineId, build.buildNumber, build.state] == ['acme/app/main', 42, 'successful']
        assert build.testInfo == [totalNumber: 2, numberPassed: 1, numberFailed: 1, numberSkipped: 0]
        assert build.issueKeys == ['ABC-13']

        List<Map> tokens = jira.requestsTo('/oauth/token').collect { new JsonSlurper().parseText(it.body) }
        assert tokens && tokens.every { it.client_id == StepsFixture.CLIENT_ID && it.client_secret == StepsFixture.SECRET }
        assert f.pipeline.log.findAll { it.contains('): SUCCESS_') }.size() == 3
        f.exposed().each { assert !it.contains(StepsFixture.SECRET) }
    }

    @Test
    void theReadmeShowsTheExampleAsItIs() {
        String readme = new File(f.library.parentFile, 'README.md').getText('UTF-8')
        String body = jenkinsfile.readLines().dropWhile { it.startsWith('//') }.join('\n')
        assert readme.contains(body)
    }
}
