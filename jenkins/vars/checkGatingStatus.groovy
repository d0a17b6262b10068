// checkGatingStatus: the Atlassian plugin's step, backed by `jira-send gate`.
// Parameters: environmentId, site, and environmentName, wait, waitTimeout, pollInterval.
// Returns true when Jira allows the deployment, false while it is awaiting a decision;
// when Jira prevents it (or the gate expired) the run ends as ABORTED with Jira's words,
// and any other answer fails the step, as the plugin does.
import io.jirasend.Arguments
import io.jirasend.Results
import io.jirasend.Runner

def call(Map params = [:]) {
    Runner runner = new Runner(this, 'checkGatingStatus')
    runner.warnUnknown(params)
    Map prepared = Arguments.gate(params)
    if (prepared.status != null) {
        error("checkGatingStatus: ${prepared.status}: ${prepared.message}")
    }
    Map ran = runner.run(prepared.argv, params)
    if (ran.status != null) {
        error("checkGatingStatus: ${ran.status}: ${ran.message}")
    }
    Map gate = Results.gate(ran.stdout, ran.exitCode)
    switch (gate.gatingStatus) {
        case 'allowed':
            echo("checkGatingStatus: SUCCESS_GATE_CHECK: ${gate.message}")
            return true
        case 'awaiting':
        case 'dry-run':
            echo("checkGatingStatus: SUCCESS_GATE_CHECK: ${gate.message}")
            return false
        case 'prevented':
        case 'expired':
            echo("checkGatingStatus: SUCCESS_GATE_CHECK: ${gate.message}")
            currentBuild.result = 'ABORTED'
            error("Deployment was prevented: ${gate.message}")
            return false
        default:
            error("checkGatingStatus: FAILURE_GATE_CHECK: ${gate.message}")
    }
}
