// jiraSendBuildInfo: the Atlassian plugin's step, backed by `jira-send build`.
// Parameters: site, branch, and state, issueKeys, label, testResults (a JUnit glob),
// plus what every step of this library takes (credentialsId, failOnError, dryRun, args,
// jiraSendPath, jiraSendVersion, …; see the README). Returns one result per site:
// [site, status, message], as the plugin does.
import io.jirasend.Arguments
import io.jirasend.Runner

def call(Map params = [:]) {
    Map prepared = Arguments.build(params, currentBuild.currentResult)
    return new Runner(this, 'jiraSendBuildInfo').send('build', params, prepared)
}
