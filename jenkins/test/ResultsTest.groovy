import io.jirasend.Results
import io.jirasend.Runner
import io.jirasend.SiteResult
import org.junit.Test

/**
 * jira-send's JSON report (the contract's shape) read into the plugin's return value:
 * one [site, status, message] per site, with the plugin's status names.
 */
class ResultsTest {
    private static final String BULK = 'https://api.atlassian.com/jira/builds/0.1/cloud/{cloudId}/bulk'

    private static String site(Map fields) {
        Map s = [site: 'acme.atlassian.net', cloudId: 'c1', requests: 1, accepted: [], rejected: [],
                 unknownIssueKeys: [], outbox: null, error: null] + fields
        return groovy.json.JsonOutput.toJson(s)
    }

    private static String report(String command, List<String> sites, Map extra = [:]) {
        String more = extra.collect { k, v -> ",\"${k}\":${groovy.json.JsonOutput.toJson(v)}" }.join('')
        return """{"command":"${command}","dryRun":false,"issueKeys":["ABC-1"],"keySources":{"ABC-1":["branch"]},""" +
            """"sites":[${sites.join(',')}]${more},"exitCode":0}"""
    }

    private static List<List<String>> read(String command, String stdout, int exit = 0, String site = 'fallback.atlassian.net') {
        return Results.of(command, stdout, exit, site).collect { SiteResult r -> [r.site, r.status, r.message] }
    }

    @Test
    void eachSiteBecomesOneResultInThePluginsOrderOfVerdicts() {
        Map<List, List<String>> table = [
            // [command, site fields]: [status, message]
            (['build', [accepted: [[pipelineId: 'p', buildNumber: 1]]]])                       :
                ['SUCCESS_BUILD_ACCEPTED', 'Jira accepted the build of ABC-1 on acme.atlassian.net'],
            (['build', [accepted: [[pipelineId: 'p', buildNumber: 1]], unknownIssueKeys: ['ABC-9'],
                        rejected: [[key: [pipelineId: 'p', buildNumber: 2], errors: ['too old']]]]])  :
                ['SUCCESS_BUILD_ACCEPTED', 'Jira accepted the build of ABC-1 on acme.atlassian.net (rejected: too old; unknown issue keys: ABC-9)'],
            (['build', [rejected: [[key: [:], errors: ["'url' is required", 'bad']]], unknownIssueKeys: ['ABC-1']]]):
                ['FAILURE_BUILD_REJECTED', "Jira rejected the build on acme.atlassian.net: 'url' is required, bad"],
            (['build', [unknownIssueKeys: ['ABC-1', 'ABC-2']]])                                 :
                ['FAILURE_UNKNOWN_ISSUE_KEYS', 'Jira does not know the issue keys ABC-1, ABC-2 on acme.atlassian.net'],
            (['build', [:]])                                                                    :
                ['FAILURE_UNEXPECTED_RESPONSE', 'Jira accepted nothing and rejected nothing on acme.atlassian.net'],
            (['deployment', [accepted: [[pipelineId: 'p']]]])                                   :
                ['SUCCESS_DEPLOYMENT_ACCEPTED', 'Jira accepted the deployment of ABC-1 on acme.atlassian.net'],
            // Unknown associations come before rejections for deployments, as in the plugin.
            (['deployment', [rejected: [[key: [:], errors: ['x']]], unknownIssueKeys: ['ABC-1']]]):
                ['FAILURE_UNKNOWN_ASSOCIATIONS', 'Jira does not know the issue keys ABC-1 on acme.atlassian.net'],
            (['deployment', [rejected: [[key: [:], errors: ['environment type invalid']]]]])    :
                ['FAILURE_DEPLOYMENT_REJECTED', 'Jira rejected the deployment on acme.atlassian.net: environment type invalid'],
            (['build', [requests: [[method: 'POST', url: BULK, body: [:]]]]])                   :
                ['SKIPPED_DRY_RUN', "Dry run, nothing sent: POST ${BULK}".toString()],
            (['deployment', [requests: 2, error: 'cannot connect', outbox: '/cache/outbox/1.json']]):
                ['FAILURE_DEPLOYMENTS_API_RESPONSE',
                 'cannot connect; the report is queued in /cache/outbox/1.json and `jira-send flush` sends it later'],
        ]
        table.each { input, expected ->
            assert read(input[0], report(input[0], [site(input[1])]), 1) == [['acme.atlassian.net'] + expected]
        }
    }

    @Test
    void severalSitesGiveSeveralResultsAndAnUnnamedSiteTakesTheStepsSite() {
        String two = report('build', [site(accepted: [[:]]), site(site: 'beta.atlassian.net', error: 'token refused')])
        assert read('build', two, 3)*.take(2) == [['acme.atlassian.net', 'SUCCESS_BUILD_ACCEPTED'],
                                                   ['beta.atlassian.net', 'FAILURE_ACCESS_TOKEN']]
        String unnamed = report('build', [site(site: null, requests: [[method: 'POST', url: BULK]])])
        assert read('build', unnamed, 0, null)*.take(2) == [[null, 'SKIPPED_DRY_RUN']]
        assert read('build', unnamed, 0, 'acme')*.take(2) == [['acme', 'SKIPPED_DRY_RUN']]
    }

    @Test
    void aRunWithoutSitesIsSkippedOrFailedAsAWhole() {
        String nothing = report('build', [], [notice: 'no issue keys found in the branch or the commits'])
        assert read('build', nothing) ==
            [['fallback.atlassian.net', 'SKIPPED_ISSUE_KEYS_NOT_FOUND', 'no issue keys found in the branch or the commits']]
        assert read('deployment', nothing)*.get(1) == ['SKIPPED_ISSUE_KEYS_NOT_FOUND_AND_SERVICE_IDS_ARE_EMPTY']

        Map<Integer, String> byExit = [2: 'FAILURE_INVALID_INPUT', 3: 'FAILURE_ACCESS_TOKEN', 4: 'FAILURE_BUILDS_API_RESPONSE',
                                       1: 'FAILURE_UNEXPECTED_RESPONSE']
        byExit.each { exit, status ->
            assert read('build', report('build', [], [error: 'it went wrong']), exit) ==
                [['fallback.atlassian.net', status, 'it went wrong']]
        }
        assert Results.failure('DEPLOYMENT', 4) == 'FAILURE_DEPLOYMENTS_API_RESPONSE'
    }

    @Test
    void outputThatIsNoReportIsAnUnexpectedResponse() {
        ['', 'thread main panicked at src/main.rs', '{"truncated": ', '[1, 2]'].each { stdout ->
            assert read('build', stdout, 101) == [['fallback.atlassian.net', 'FAILURE_UNEXPECTED_RESPONSE',
                                                   'jira-send exited 101 without a report; its messages are above in the log']]
        }
    }

    @Test
    void theGateReportGivesJirasStatusAndChangeRequests() {
        Map allowed = Results.gate('{"command":"gate","site":"acme.atlassian.net","gatingStatus":"prevented","details":' +
            '[{"issueKey":"CHG-1","issueLink":"https://acme.atlassian.net/browse/CHG-1"},{"issueKey":"CHG-2"}],"exitCode":5}', 5)
        assert allowed == [gatingStatus: 'prevented', site: 'acme.atlassian.net',
                           message     : 'Jira says the deployment is prevented (change requests: CHG-1 https://acme.atlassian.net/browse/CHG-1, CHG-2) on acme.atlassian.net']
        assert Results.gate('{"command":"gate","error":"Jira has no gating status for this deployment","exitCode":1}', 1) ==
            [gatingStatus: null, message: 'Jira has no gating status for this deployment']
        assert Results.gate('{"command":"gate","dryRun":true,"sites":[{"site":null,"requests":[{"method":"GET","url":"u"}]}]}', 0) ==
            [gatingStatus: 'dry-run', message: 'Dry run, Jira was not asked: GET u']
        assert Results.gate('', 127).gatingStatus == null
    }

    @Test
    void theRunScriptsLastLineIsTheExitCode() {
        assert Runner.split('{"a":1}\n\njira-send-exit-code=5\n') == [exitCode: 5, stdout: '{"a":1}\n\n']
        assert Runner.split('{"b":"jira-send-exit-code=1"}\njira-send-exit-code=0\n').exitCode == 0
        assert Runner.split('killed').exitCode == -1
    }
}
