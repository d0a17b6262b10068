// jiraSendDeploymentInfo: the Atlassian plugin's step, backed by `jira-send deployment`.
// Parameters: environmentId, environmentName, environmentType, state, serviceIds,
// enableGating, issueKeys, site, and recordDeployment, plus what every step of this
// library takes (see the README). Returns one result per site: [site, status, message].
import io.jirasend.Arguments
import io.jirasend.Runner

def call(Map params = [:]) {
    Map prepared = Arguments.deployment(params, currentBuild.currentResult)
    return new Runner(this, 'jiraSendDeploymentInfo').send('deployment', params, prepared)
}
