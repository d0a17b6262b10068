import groovy.json.JsonSlurper
import io.jirasend.SiteResult
import org.junit.After
import org.junit.Before
import org.junit.Test

/**
 * The steps running the real jira-send (JIRA_SEND_TEST_BINARY) through the stand-in
 * `sh`, against a fake Jira on loopback: what jira-send reports becomes the plugin's
 * return value, and checkGatingStatus ends the run as the plugin does.
 */
class RealBinaryTest {
    StepsFixture f
    FakeJira jira
    String binary

    @Before
    void setUp() {
        binary = System.getenv('JIRA_SEND_TEST_BINARY')
        assert binary && new File(binary).canExecute(): 'JIRA_SEND_TEST_BINARY must name a built jira-send'
        f = new StepsFixture()
        new File(f.bin, 'jira-send').delete()
        jira = new FakeJira()
        f.pipeline.env.putAll(jira.environment(new File(f.root, 'cache')))
        f.pipeline.env.JIRA_SEND_OUTBOX_DIR = new File(f.root, 'outbox').path
    }

    @After
    void tearDown() {
        jira?.stop()
        f?.cleanUp()
    }

    private Object send(String step, Map params = [:]) {
        return f.step(step, [jiraSendPath: binary, credentialsId: 'jira-oauth'] + params)
    }

    /** The JSON report jira-send printed in the last run. */
    private Map lastReport() {
        String stdout = io.jirasend.Runner.split(f.pipeline.runs()[-1].stdout).stdout
        return new JsonSlurper().parseText(stdout)
    }

    @Test
    void aDryRunBuildsTheRequestFromTheRunAndTheRepository() {
        f.pipeline.env.JIRA_SITE = 'acme.atlassian.net'
        f.pipeline.currentBuild.currentResult = 'FAILURE'
        List<SiteResult> results = send('jiraSendBuildInfo', [dryRun: true, label: 'release 1.2'])
        assert results.collect { [it.site, it.status] } == [['acme.atlassian.net', 'SKIPPED_DRY_RUN']]
        assert results[0].message == "Dry run, nothing sent: POST ${jira.url}/jira/builds/0.1/cloud/{cloudId}/bulk"

        Map report = lastReport()
        assert report.dryRun == true && report.exitCode == 0
        assert report.issueKeys == ['ABC-12', 'ABC-13'] // the branch, then the commit
        Map build = report.sites[0].requests[0].body.builds[0]
        assert [build.pipelineId, build.buildNumber, build.state, build.label, build.url] ==
            ['acme/app/main', 42, 'failed', 'release 1.2', 'https://ci.example.com/job/acme/job/app/job/main/42/']
        assert jira.requests.isEmpty()
    }

    @Test
    void anAcceptedBuildIsTheSuccessThePluginReports() {
        List<SiteResult> results = send('jiraSendBuildInfo')
        assert results*.status == ['SUCCESS_BUILD_ACCEPTED']
        assert results[0].site == lastReport().sites[0].site
        Map sent = new JsonSlurper().parseText(jira.requestsTo('/bulk')[0].body)
        assert sent.builds[0].issueKeys == ['ABC-12', 'ABC-13']
        assert sent.builds[0].state == 'successful'
        assert jira.requestsTo('/bulk')[0].authorization == 'Bearer fake-token'
        Map token = new JsonSlurper().parseText(jira.requestsTo('/oauth/token')[0].body)
        assert token.client_id == StepsFixture.CLIENT_ID && token.client_secret == StepsFixture.SECRET
    }

    @Test
    void rejectionsAndUnknownKeysBecomeThePluginsFailures() {
        jira.bulkAnswers.builds = '{"acceptedBuilds":[],"rejectedBuilds":[{"key":{"pipelineId":"p","buildNumber":42},' +
            '"errors":[{"message":"No valid issues found for build"}]}],"unknownIssueKeys":["ABC-12","ABC-13"]}'
        List<SiteResult> rejected = send('jiraSendBuildInfo')
        assert rejected*.status == ['FAILURE_BUILD_REJECTED']
        assert rejected[0].message.contains('No valid issues found for build')

        jira.bulkAnswers.deployments = '{"acceptedDeployments":[],"rejectedDeployments":[],' +
            '"unknownAssociations":[{"associationType":"issueIdOrKeys","values":["ABC-12"]}]}'
        List<SiteResult> unknown = send('jiraSendDeploymentInfo', [environmentName: 'staging'])
        assert unknown*.status == ['FAILURE_UNKNOWN_ASSOCIATIONS']
        assert unknown[0].message.contains('ABC-12')
        assert f.pipeline.errors.isEmpty()
    }

    @Test
    void refusedCredentialsAreAnAccessTokenFailure() {
        jira.tokenStatus = 401
        List<SiteResult> results = send('jiraSendBuildInfo')
        assert results*.status == ['FAILURE_ACCESS_TOKEN']
        assert lastReport().exitCode == 3
        assert jira.requestsTo('/bulk').isEmpty()
    }

    @Test
    void anUnreachableJiraQueuesTheReport() {
        f.pipeline.env.JIRA_SEND_API_URL = 'http://127.0.0.1:9' // nothing listens on the discard port
        List<SiteResult> results = send('jiraSendDeploymentInfo', [environmentName: 'Production EU'])
        assert results*.status == ['FAILURE_DEPLOYMENTS_API_RESPONSE']
        assert results[0].message.contains('jira-send flush')
        assert new File(f.root, 'outbox').list().length > 0
    }

    @Test
    void checkGatingStatusReturnsTrueWhenAllowedAndFalseWhileAwaiting() {
        jira.gatingAnswer = '{"gatingStatus":"allowed","details":[]}'
        assert send('checkGatingStatus', [environmentId: 'us-prod-1']) == true
        String path = jira.requestsTo('gating-status')[0].path
        assert path.endsWith('/pipelines/acme%2Fapp%2Fmain/environments/us-prod-1/deployments/42/gating-status')

        jira.gatingAnswer = '{"gatingStatus":"awaiting","details":[]}'
        assert send('checkGatingStatus', [environmentId: 'us-prod-1']) == false
        assert f.pipeline.currentBuild.result == null && f.pipeline.errors.isEmpty()
    }

    @Test
    void aPreventedOrExpiredGateAbortsTheRunWithJirasWords() {
        ['prevented', 'expired'].each { status ->
            f.pipeline.currentBuild.result = null
            jira.gatingAnswer = """{"gatingStatus":"${status}","details":[{"type":"issue","issueKey":"CHG-7",""" +
                '"issueLink":"https://acme.atlassian.net/browse/CHG-7"}]}'
            try {
                send('checkGatingStatus', [environmentId: 'us-prod-1'])
                assert false: 'the run should have ended'
            } catch (PipelineError e) {
                assert e.message.startsWith("Deployment was prevented: Jira says the deployment is ${status}")
                assert e.message.contains('CHG-7 https://acme.atlassian.net/browse/CHG-7')
            }
            assert f.pipeline.currentBuild.result == 'ABORTED'
        }
    }

    @Test
    void anInvalidGateFailsTheStepWithoutAborting() {
        jira.gatingAnswer = '{"gatingStatus":"invalid","details":[]}'
        try {
            send('checkGatingStatus', [environmentId: 'us-prod-1'])
            assert false: 'the step should have failed'
        } catch (PipelineError e) {
            assert e.message == "checkGatingStatus: FAILURE_GATE_CHECK: Jira says the deployment is invalid on ${lastReport().site}"
        }
        assert f.pipeline.currentBuild.result == null
    }

    @Test
    void recordDeploymentReachesTheBinaryAsItsFlag() {
        // The workspace has no origin to push the tag to: a warning on the console, and
        // the deployment is still the success Jira made it.
        List<SiteResult> results = send('jiraSendDeploymentInfo', [environmentName: 'prod', recordDeployment: true])
        assert results*.status == ['SUCCESS_DEPLOYMENT_ACCEPTED']
        assert f.pipeline.runs()[-1].stderr.contains(
            'warning: the deployment was not recorded in the tag jira-send/deployed/prod: git push to origin failed')
        assert lastReport().exitCode == 0
    }
}
