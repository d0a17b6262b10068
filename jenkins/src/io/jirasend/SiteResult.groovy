package io.jirasend

/**
 * What a step returns for one Jira site: the shape of the Atlassian plugin's
 * JiraSendInfoResponse, so a Jenkinsfile that read `site`/`jiraSite`, `status` and
 * `message` from the plugin's result keeps working. `status` is one of the plugin's
 * names (SUCCESS_BUILD_ACCEPTED, FAILURE_BUILD_REJECTED, SKIPPED_ISSUE_KEYS_NOT_FOUND, …)
 * as a String.
 */
class SiteResult implements Serializable {
    private static final long serialVersionUID = 1L

    /** The Jira site, or null when jira-send did not get as far as naming one. */
    final String site
    final String status
    final String message

    SiteResult(String site, String status, String message) {
        this.site = site
        this.status = status
        this.message = message
    }

    /** The plugin's name for the site. */
    String getJiraSite() {
        return site
    }

    /** Only FAILURE_* statuses are failures: SKIPPED_* means there was nothing to send. */
    boolean isFailure() {
        return status.startsWith('FAILURE_')
    }

    @Override
    String toString() {
        return "${site}: ${status}: ${message}"
    }
}
