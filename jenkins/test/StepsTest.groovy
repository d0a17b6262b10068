import io.jirasend.Arguments
import io.jirasend.SiteResult
import org.junit.After
import org.junit.Before
import org.junit.Test

/**
 * The steps through the stand-in pipeline with a recording jira-send: the exact argv
 * and environment each step gives it, the plugin's checks and state mapping, the
 * credentials, and what never reaches a shell script.
 */
class StepsTest {
    StepsFixture f

    @Before
    void setUp() {
        f = new StepsFixture()
    }

    @After
    void tearDown() {
        f.cleanUp()
    }

    @Test
    void buildInfoGivesJiraSendEveryParameterAsOneArgumentAndTheCredentialsInItsEnvironment() {
        String branch = 'feature/ABC-1 "quoted" $(touch PWNED-branch) `id`'
        f.step('jiraSendBuildInfo', [
            site       : 'acme.atlassian.net', branch: branch, state: 'failed', issueKeys: ['ABC-1', 'OPS-2'],
            label      : 'v1.2 $HOME; touch PWNED-label', testResults: 'build/test-results/**/*.xml',
            credentialsId: 'jira-oauth',
        ])
        List<Map> calls = f.calls()
        assert calls.size() == 1
        assert calls[0].argv == ['build', '--output', 'json', '--site', 'acme.atlassian.net', '--branch', branch,
                                 '--state', 'failed', '--issue-key', 'ABC-1', '--issue-key', 'OPS-2',
                                 '--label', 'v1.2 $HOME; touch PWNED-label', '--junit', 'build/test-results/**/*.xml']
        assert f.added(calls[0].env) == [JIRA_CLIENT_ID: StepsFixture.CLIENT_ID, JIRA_CLIENT_SECRET: StepsFixture.SECRET]
        assert !f.workspace.list().any { it.startsWith('PWNED') }

        f.step('jiraSendBuildInfo', [testResults: ['reports/{unit,it}/*.xml', 'more/*.xml']])
        assert f.calls()[1].argv == ['build', '--output', 'json', '--state', 'successful',
                                     '--junit', 'reports/{unit,it}/*.xml', '--junit', 'more/*.xml']
    }

    @Test
    void deploymentInfoMapsThePluginParametersAndRecordDeployment() {
        f.step('jiraSendDeploymentInfo', [
            environmentId: 'us-prod-1', environmentName: 'Production US', environmentType: 'production',
            state        : 'successful', serviceIds: ['svc-1', 'svc-2'], enableGating: true,
            issueKeys    : ['ABC-1'], site: 'acme.atlassian.net', recordDeployment: true, credentialsId: 'jira-oauth',
        ])
        assert f.calls()*.argv == [['deployment', '--output', 'json', '--site', 'acme.atlassian.net',
                                    '--environment', 'Production US', '--environment-id', 'us-prod-1',
                                    '--environment-type', 'production', '--state', 'successful',
                                    '--service', 'svc-1', '--service', 'svc-2', '--gate', '--issue-key', 'ABC-1',
                                    '--record-deployment']]
    }

    @Test
    void checkGatingStatusAsksAboutTheEnvironmentAndWaitsWhenAsked() {
        f.fakeJiraSend('{"command":"gate","gatingStatus":"allowed","details":[],"exitCode":0}', 0)
        assert f.step('checkGatingStatus', [environmentId: 'us-prod-1', site: 'acme.atlassian.net', wait: true,
                                            waitTimeout: '10m', pollInterval: '30s', credentialsId: 'jira-oauth']) == true
        // The id alone: the gating status is read by id, so the id is not passed as the name too.
        assert f.calls()*.argv == [['gate', '--output', 'json', '--site', 'acme.atlassian.net',
                                    '--environment-id', 'us-prod-1', '--wait', '--wait-timeout', '10m', '--poll-interval', '30s']]
        f.step('checkGatingStatus', [environmentName: 'Production US'])
        f.step('checkGatingStatus', [environmentName: 'Production US', environmentId: 'us-prod-1'])
        assert f.calls()[1..2]*.argv == [['gate', '--output', 'json', '--environment', 'Production US'],
                                         ['gate', '--output', 'json', '--environment', 'Production US',
                                          '--environment-id', 'us-prod-1']]
    }

    @Test
    void withoutAStateTheRunResultGivesItAsThePluginMapsIt() {
        Map<Object, String> table = [(null): 'in_progress', SUCCESS: 'successful', FAILURE: 'failed', ABORTED: 'cancelled',
                                     UNSTABLE: 'unknown', NOT_BUILT: 'unknown']
        table.each { result, state -> assert Arguments.stateOf(result) == state }
        ['SUCCESS', 'FAILURE', 'ABORTED', 'UNSTABLE', 'NOT_BUILT'].each { result ->
            f.pipeline.currentBuild.currentResult = result
            f.step('jiraSendBuildInfo')
            f.step('jiraSendDeploymentInfo', [environmentName: 'staging'])
        }
        List<String> states = f.calls().collect { Map c -> c.argv[c.argv.indexOf('--state') + 1] }
        assert states == ['successful', 'successful', 'failed', 'failed', 'cancelled', 'cancelled', 'unknown', 'unknown',
                          'unknown', 'unknown']
        assert f.calls()[1].argv == ['deployment', '--output', 'json', '--environment', 'staging', '--state', 'successful']
    }

    @Test
    void noSecretIsEverPartOfAScriptTheConsoleOrTheArguments() {
        f.step('jiraSendBuildInfo', [credentialsId: 'jira-oauth', branch: 'main'])
        f.step('jiraSendDeploymentInfo', [environmentName: 'prod', credentialsId: 'jira-oauth'])
        f.step('jiraSendBuildInfo', [credentialsId: 'jira-secret-text', clientId: StepsFixture.CLIENT_ID])
        f.fakeJiraSend('{"command":"gate","gatingStatus":"awaiting","details":[],"exitCode":6}', 6)
        assert f.step('checkGatingStatus', [environmentId: 'prod', credentialsId: 'jira-oauth']) == false

        assert f.pipeline.bindings.size() == 4
        f.exposed().each { assert !it.contains(StepsFixture.SECRET) && !it.contains('s3cr3t') }
        // Only two scripts ever run, whatever the parameters: the install script and the runner.
        assert f.pipeline.shCalls*.script.toSet() == [f.pipeline.libraryResource('io/jirasend/install.sh'),
                                                      StepsFixture.RUN_SCRIPT] as Set
        f.calls().each { assert it.env.JIRA_CLIENT_SECRET == StepsFixture.SECRET }
        assert !f.workspace.list().any { it.startsWith('PWNED') }
    }

    @Test
    void aSecretTextCredentialTakesTheClientIdAsAParameter() {
        f.step('jiraSendBuildInfo', [credentialsId: 'jira-secret-text', clientId: 'the-client'])
        assert f.added(f.calls()[0].env) == [JIRA_CLIENT_ID: 'the-client', JIRA_CLIENT_SECRET: StepsFixture.SECRET]
    }

    @Test
    void severalSitesBindEachSitesOwnCredentials() {
        f.pipeline.credentials['jira-beta'] = [username: 'beta-client', password: 'beta-secret']
        f.step('jiraSendBuildInfo', [credentialsId: ['acme.atlassian.net': 'jira-oauth', 'https://beta.atlassian.net': 'jira-beta']])
        Map call = f.calls()[0]
        assert call.argv == ['build', '--output', 'json', '--site', 'acme.atlassian.net,https://beta.atlassian.net',
                             '--state', 'successful']
        assert f.added(call.env) == [
            JIRA_CLIENT_ID_ACME_ATLASSIAN_NET: StepsFixture.CLIENT_ID, JIRA_CLIENT_SECRET_ACME_ATLASSIAN_NET: StepsFixture.SECRET,
            JIRA_CLIENT_ID_BETA_ATLASSIAN_NET: 'beta-client', JIRA_CLIENT_SECRET_BETA_ATLASSIAN_NET: 'beta-secret']
    }

    @Test
    void theCredentialsIdCanBeSetOnceForTheRun() {
        f.pipeline.env.JIRA_SEND_CREDENTIALS_ID = 'jira-oauth'
        f.step('jiraSendBuildInfo')
        assert f.added(f.calls()[0].env) == [JIRA_CLIENT_ID: StepsFixture.CLIENT_ID, JIRA_CLIENT_SECRET: StepsFixture.SECRET]
    }

    @Test
    void withoutCredentialsIdTheRunsOwnVariablesAreUsedAsTheyAre() {
        f.pipeline.env.JIRA_CLIENT_ID = 'from-environment'
        f.step('jiraSendBuildInfo')
        assert f.added(f.calls()[0].env) == [:]
        assert f.calls()[0].env.JIRA_CLIENT_ID == 'from-environment'
        assert f.pipeline.bindings.isEmpty()
    }

    @Test
    void aMissingCredentialIsReportedAndNothingRuns() {
        List<SiteResult> results = f.step('jiraSendBuildInfo', [credentialsId: 'nope', site: 'acme.atlassian.net'])
        assert results*.status == ['FAILURE_SECRET_NOT_FOUND']
        assert results[0].message == "Could not find credentials entry with ID 'nope'"
        assert results[0].site == 'acme.atlassian.net' && results[0].jiraSite == 'acme.atlassian.net'
        assert f.calls().isEmpty()
        assert f.pipeline.log.contains("jiraSendBuildInfo(acme.atlassian.net): FAILURE_SECRET_NOT_FOUND: Could not find credentials entry with ID 'nope'")
        // A "Secret text" where a username and password were expected fails the same way.
        assert f.step('jiraSendBuildInfo', [credentialsId: 'jira-secret-text'])*.status == ['FAILURE_SECRET_NOT_FOUND']
    }

    @Test
    void parametersThePluginRefusesAreRefusedWithItsWordsAndNothingRuns() {
        Map<Map, List<String>> cases = [
            ([state: 'bad input']): ['jiraSendBuildInfo', 'FAILURE_STATE_INVALID',
                                      "The parameter state is not valid. Allowed values are: [pending, in_progress, successful, failed, cancelled, unknown]. Provided value was: 'bad input'"],
            ([environmentName: 'prod', state: 'bad input']): ['jiraSendDeploymentInfo', 'FAILURE_STATE_INVALID',
                                      "The parameter state is not valid. Allowed values are: [unknown, pending, in_progress, cancelled, failed, rolled_back, successful]. Provided value was: 'bad input'"],
            ([environmentName: 'prod', environmentType: 'qa']): ['jiraSendDeploymentInfo', 'FAILURE_ENVIRONMENT_INVALID',
                                      "The parameter environmentType is not valid. Allowed values are: [development, testing, staging, production, unmapped]. Provided value was: 'qa'"],
            ([environmentType: 'production']): ['jiraSendDeploymentInfo', 'FAILURE_ENVIRONMENT_INVALID',
                                      'The parameter environmentName is required.'],
        ]
        cases.each { params, expected ->
            List<SiteResult> results = f.step(expected[0], params)
            assert results.collect { [it.status, it.message] } == [[expected[1], expected[2]]]
        }
        assert f.pipeline.shCalls.isEmpty()
    }

    @Test
    void failuresAreReturnedAndLoggedAndFailTheBuildOnlyWithFailOnError() {
        f.fakeJiraSend('{"command":"build","sites":[{"site":"acme.atlassian.net","requests":1,"accepted":[],' +
            '"rejected":[{"key":{"pipelineId":"p","buildNumber":42},"errors":["\'url\' is required"]}],' +
            '"unknownIssueKeys":[],"outbox":null,"error":null}],"exitCode":1}', 1)
        List<SiteResult> results = f.step('jiraSendBuildInfo')
        assert results.collect { [it.site, it.status] } == [['acme.atlassian.net', 'FAILURE_BUILD_REJECTED']]
        assert f.pipeline.errors.isEmpty() && f.pipeline.currentBuild.result == null
        assert f.pipeline.log.contains("jiraSendBuildInfo(acme.atlassian.net): FAILURE_BUILD_REJECTED: Jira rejected the build on acme.atlassian.net: 'url' is required")

        try {
            f.step('jiraSendBuildInfo', [failOnError: true])
            assert false: 'failOnError: true should have failed the step'
        } catch (PipelineError e) {
            assert e.message.startsWith('jiraSendBuildInfo failed (failOnError: true): acme.atlassian.net: FAILURE_BUILD_REJECTED')
        }
    }

    @Test
    void skippedIsNotAFailure() {
        assert f.step('jiraSendBuildInfo', [failOnError: true])*.status == ['SKIPPED_ISSUE_KEYS_NOT_FOUND']
        assert f.step('jiraSendDeploymentInfo', [environmentName: 'prod', failOnError: true])*.status ==
            ['SKIPPED_ISSUE_KEYS_NOT_FOUND_AND_SERVICE_IDS_ARE_EMPTY']
        assert f.pipeline.errors.isEmpty()
    }

    @Test
    void moreArgumentsAreAppendedAsGivenAndUnknownParametersAreNamed() {
        f.step('jiraSendBuildInfo', [args: ['--description', 'two words', '--fail-on', 'never'], dryRun: true, statee: 'x'])
        f.step('jiraSendBuildInfo', [args: '--tests-total 3  --tests-failed 1'])
        assert f.calls()*.argv == [
            ['build', '--output', 'json', '--state', 'successful', '--dry-run', '--description', 'two words', '--fail-on', 'never'],
            ['build', '--output', 'json', '--state', 'successful', '--tests-total', '3', '--tests-failed', '1']]
        assert f.pipeline.log.contains('jiraSendBuildInfo: WARNING: unknown parameter(s) ignored: statee')
    }

    @Test
    void aWindowsAgentGetsAClearFailureAndNoShell() {
        f.pipeline.unix = false
        List<SiteResult> results = f.step('jiraSendBuildInfo')
        assert results*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
        assert results[0].message.contains('Linux or macOS agent')
        assert f.pipeline.shCalls.isEmpty()
    }

    @Test
    void jiraSendPathWinsOverThePath() {
        File elsewhere = new File(f.root, 'opt/jira-send')
        elsewhere.parentFile.mkdirs()
        f.fakeJiraSend('{"sites":[],"notice":"x","exitCode":0}', 0, elsewhere)
        new File(f.bin, 'jira-send').text = '#!/bin/sh\necho "the one on the PATH ran" >&2\nexit 99\n'
        assert f.step('jiraSendBuildInfo', [jiraSendPath: elsewhere.path])*.status == ['SKIPPED_ISSUE_KEYS_NOT_FOUND']
        assert f.pipeline.runs()[0].env.JIRA_SEND_RUN == elsewhere.path

        List<SiteResult> missing = f.step('jiraSendBuildInfo', [jiraSendPath: '/nonexistent/jira-send'])
        assert missing*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
        assert f.pipeline.log.any { it.contains('JIRA_SEND_BIN (/nonexistent/jira-send) is not an executable file') }
    }
}
