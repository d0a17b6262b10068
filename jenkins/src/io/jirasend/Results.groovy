package io.jirasend

import com.cloudbees.groovy.cps.NonCPS
import groovy.json.JsonSlurper

/**
 * jira-send's `--output json` report, read into what the Atlassian plugin returns: one
 * SiteResult per site, with the plugin's status names. JsonSlurper is what the script
 * security sandbox allows; its lazy maps never leave these @NonCPS methods.
 */
class Results implements Serializable {
    private static final long serialVersionUID = 1L

    /** What `build` and `deployment` report, per site; `site` names the site when jira-send names none. */
    @NonCPS
    static List<SiteResult> of(String command, String stdout, int exitCode, String site) {
        Map report = parse(stdout)
        String noun = command == 'deployment' ? 'DEPLOYMENT' : 'BUILD'
        if (report == null) {
            return [new SiteResult(site, 'FAILURE_UNEXPECTED_RESPONSE',
                "jira-send exited ${exitCode} without a report; its messages are above in the log".toString())]
        }
        List sites = report.sites instanceof List ? report.sites : []
        if (sites.isEmpty()) {
            if (report.error != null) {
                return [new SiteResult(site, failure(noun, exitCode), report.error.toString())]
            }
            String skipped = noun == 'DEPLOYMENT' ? 'SKIPPED_ISSUE_KEYS_NOT_FOUND_AND_SERVICE_IDS_ARE_EMPTY' : 'SKIPPED_ISSUE_KEYS_NOT_FOUND'
            String notice = report.notice != null ? report.notice.toString() : 'No issue keys found: nothing sent to Jira.'
            return [new SiteResult(site, skipped, notice)]
        }
        List keys = list(report.issueKeys)
        return sites.collect { Map s -> siteResult(noun, s, exitCode, site, keys) }
    }

    /**
     * What `gate` reports: `[gatingStatus:, message:]`, where gatingStatus is Jira's
     * (allowed, awaiting, prevented, expired, invalid), `dry-run`, or null with the error
     * in message.
     */
    @NonCPS
    static Map gate(String stdout, int exitCode) {
        Map report = parse(stdout)
        if (report == null) {
            return [gatingStatus: null, message: "jira-send exited ${exitCode} without a report; its messages are above in the log".toString()]
        }
        if (report.dryRun == true) {
            List<String> planned = []
            list(report.sites).each { Map s ->
                list(s.requests).each { Map r -> planned.add("${r.method} ${r.url}".toString()) }
            }
            return [gatingStatus: 'dry-run', message: "Dry run, Jira was not asked: ${planned.join('; ')}".toString()]
        }
        if (report.gatingStatus == null) {
            String error = report.error != null ? report.error.toString() : 'jira-send reported no gating status'
            return [gatingStatus: null, message: error]
        }
        String status = report.gatingStatus.toString()
        List<String> requests = (report.details instanceof List ? report.details : []).collect { Map d ->
            [d.issueKey, d.issueLink].findAll { it != null }.join(' ')
        }.findAll { it }
        String message = "Jira says the deployment is ${status}".toString()
        if (!requests.isEmpty()) {
            message += " (change requests: ${requests.join(', ')})"
        }
        if (report.site != null) {
            message += " on ${report.site}"
        }
        return [gatingStatus: status, message: message, site: report.site]
    }

    @NonCPS
    private static SiteResult siteResult(String noun, Map s, int exitCode, String fallbackSite, List keys) {
        String site = s.site != null ? s.site.toString() : fallbackSite
        String entity = noun.toLowerCase()
        List accepted = list(s.accepted)
        List rejected = list(s.rejected)
        List<String> unknown = list(s.unknownIssueKeys).collect { it.toString() }
        if (s.requests instanceof List) {
            List<String> planned = s.requests.collect { Map r -> "${r.method} ${r.url}".toString() }
            return new SiteResult(site, 'SKIPPED_DRY_RUN', "Dry run, nothing sent: ${planned.join('; ')}".toString())
        }
        if (s.error != null) {
            String message = s.error.toString()
            if (s.outbox != null) {
                message += "; the report is queued in ${s.outbox} and `jira-send flush` sends it later"
                return new SiteResult(site, failure(noun, 4), message)
            }
            return new SiteResult(site, failure(noun, exitCode), message)
        }
        // The plugin's order: anything accepted is a success; for deployments unknown
        // associations come before rejections, which always accompany them.
        List<String> notes = []
        if (!rejected.isEmpty()) {
            notes.add("rejected: ${rejections(rejected)}".toString())
        }
        if (!unknown.isEmpty()) {
            notes.add("unknown issue keys: ${unknown.join(', ')}".toString())
        }
        String noted = notes.isEmpty() ? '' : " (${notes.join('; ')})"
        if (!accepted.isEmpty()) {
            String of = keys.isEmpty() ? '' : " of ${keys.join(', ')}"
            return new SiteResult(site, "SUCCESS_${noun}_ACCEPTED".toString(),
                "Jira accepted the ${entity}${accepted.size() > 1 ? 's' : ''}${of} on ${site}${noted}".toString())
        }
        if (noun == 'DEPLOYMENT' && !unknown.isEmpty()) {
            return new SiteResult(site, 'FAILURE_UNKNOWN_ASSOCIATIONS', "Jira does not know the issue keys ${unknown.join(', ')} on ${site}".toString())
        }
        if (!rejected.isEmpty()) {
            return new SiteResult(site, "FAILURE_${noun}_REJECTED".toString(), "Jira rejected the ${entity} on ${site}: ${rejections(rejected)}".toString())
        }
        if (!unknown.isEmpty()) {
            return new SiteResult(site, 'FAILURE_UNKNOWN_ISSUE_KEYS', "Jira does not know the issue keys ${unknown.join(', ')} on ${site}".toString())
        }
        return new SiteResult(site, 'FAILURE_UNEXPECTED_RESPONSE', "Jira accepted nothing and rejected nothing on ${site}".toString())
    }

    /**
     * The plugin's status for a run that failed as a whole, from jira-send's exit code:
     * 2 bad input, 3 credentials refused, 4 Jira unreachable (the report is queued).
     */
    @NonCPS
    static String failure(String noun, int exitCode) {
        switch (exitCode) {
            case 2: return 'FAILURE_INVALID_INPUT'
            case 3: return 'FAILURE_ACCESS_TOKEN'
            case 4: return noun == 'DEPLOYMENT' ? 'FAILURE_DEPLOYMENTS_API_RESPONSE' : 'FAILURE_BUILDS_API_RESPONSE'
            default: return 'FAILURE_UNEXPECTED_RESPONSE'
        }
    }

    @NonCPS
    private static String rejections(List rejected) {
        return rejected.collect { r ->
            r instanceof Map && r.errors instanceof List ? r.errors.join(', ') : r.toString()
        }.join('; ')
    }

    @NonCPS
    private static List list(Object value) {
        return value instanceof List ? value : []
    }

    /** The report object, or null when stdout holds none (jira-send crashed, or is not jira-send). */
    @NonCPS
    static Map parse(String stdout) {
        String text = stdout == null ? '' : stdout.trim()
        if (!text.startsWith('{')) {
            return null
        }
        try {
            Object parsed = new JsonSlurper().parseText(text)
            return parsed instanceof Map ? parsed : null
        } catch (Exception ignored) {
            return null
        }
    }
}
