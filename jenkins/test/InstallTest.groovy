import io.jirasend.SiteResult
import org.junit.After
import org.junit.Before
import org.junit.Test

import java.security.MessageDigest

/**
 * Without jira-send on the agent, the steps download a release from a fake release
 * server on loopback, check its SHA-256, keep it in the tool cache and use it again.
 */
class InstallTest {
    StepsFixture f
    FakeJira server
    File cache
    String target
    byte[] archive

    @Before
    void setUp() {
        f = new StepsFixture()
        server = new FakeJira()
        cache = new File(f.workspace.path + '@tmp/jira-send')
        String platform = StepsFixture.run(f.root, [:], ['uname', '-sm']).trim()
        target = [
            'Linux x86_64': 'x86_64-unknown-linux-musl', 'Linux aarch64': 'aarch64-unknown-linux-musl',
            'Darwin x86_64': 'x86_64-apple-darwin', 'Darwin arm64': 'aarch64-apple-darwin',
        ][platform]
        assert target: "no release target for ${platform}"
        // The release's binary is the recording fake; the PATH has none.
        File release = new File(f.root, 'release')
        release.mkdirs()
        f.fakeJiraSend('{"command":"build","sites":[],"notice":"none","exitCode":0}', 0, new File(release, 'jira-send'))
        new File(f.bin, 'jira-send').delete()
        StepsFixture.run(release, [:], ['tar', '-czf', 'archive.tar.gz', 'jira-send'])
        archive = new File(release, 'archive.tar.gz').bytes
    }

    @After
    void tearDown() {
        server?.stop()
        f?.cleanUp()
    }

    private void publish(String version, String sums = null) {
        String dir = version == 'latest' ? 'latest/download' : "download/${version}"
        server.releaseFiles["${dir}/jira-send-${target}.tar.gz".toString()] = archive
        server.releaseFiles["${dir}/SHA256SUMS".toString()] =
            (sums ?: "${sha256(archive)}  jira-send-${target}.tar.gz\n0000  jira-send-other.tar.gz\n").bytes
    }

    private List<SiteResult> build(Map params = [:]) {
        return f.step('jiraSendBuildInfo', [releaseUrl: "${server.url}/releases/".toString()] + params)
    }

    private List<String> downloads() {
        return server.requests*.path.findAll { it.startsWith('/releases/') }
    }

    static String sha256(byte[] bytes) {
        return MessageDigest.getInstance('SHA-256').digest(bytes).encodeHex().toString()
    }

    @Test
    void aReleaseIsDownloadedVerifiedAndKeptForTheNextStep() {
        publish('v1.4.0')
        assert build(jiraSendVersion: '1.4.0')*.status == ['SKIPPED_ISSUE_KEYS_NOT_FOUND']
        File installed = new File(cache, "v1.4.0/${target}/jira-send")
        assert f.pipeline.runs()[0].env.JIRA_SEND_RUN == installed.path
        assert f.calls().size() == 1
        assert downloads() == ["/releases/download/v1.4.0/SHA256SUMS", "/releases/download/v1.4.0/jira-send-${target}.tar.gz"]
        assert f.pipeline.log.any { it.contains("installed v1.4.0 (${target})") && it.contains(sha256(archive)) }

        // A fixed release in the cache needs no network: the server may be gone.
        server.releaseFiles.clear()
        assert build(jiraSendVersion: 'v1.4.0')*.status == ['SKIPPED_ISSUE_KEYS_NOT_FOUND']
        assert downloads().size() == 2 && f.calls().size() == 2
    }

    @Test
    void latestAsksForTheChecksumsEachTimeAndDownloadsOnlyWhatChanged() {
        publish('latest')
        build()
        build()
        assert downloads() == ['/releases/latest/download/SHA256SUMS', "/releases/latest/download/jira-send-${target}.tar.gz",
                               '/releases/latest/download/SHA256SUMS']
        assert f.calls().size() == 2
    }

    @Test
    void aBadChecksumIsRefusedAndNothingIsInstalled() {
        publish('v1.4.0', "${'ab' * 32}  jira-send-${target}.tar.gz\n")
        List<SiteResult> results = build(jiraSendVersion: '1.4.0')
        assert results*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
        assert f.pipeline.log.any { it.contains("checksum mismatch for jira-send-${target}.tar.gz: expected ${'ab' * 32}, got ${sha256(archive)}; not installed") }
        assert !new File(cache, "v1.4.0/${target}/jira-send").exists()
        assert f.calls().isEmpty()
    }

    @Test
    void aPinnedChecksumWinsOverTheReleasesOwn() {
        publish('v1.4.0')
        assert build(jiraSendVersion: '1.4.0', jiraSendSha256: 'cd' * 32)*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
        assert !downloads().any { it.endsWith('SHA256SUMS') }
        assert build(jiraSendVersion: '1.4.0', jiraSendSha256: sha256(archive).toUpperCase())*.status == ['SKIPPED_ISSUE_KEYS_NOT_FOUND']
    }

    @Test
    void aTamperedCacheIsReplacedByAVerifiedDownload() {
        publish('v1.4.0')
        build(jiraSendVersion: '1.4.0')
        new File(cache, "v1.4.0/${target}/jira-send-${target}.tar.gz").bytes = 'not the release'.bytes
        build(jiraSendVersion: '1.4.0')
        assert downloads().count { it.endsWith('.tar.gz') } == 2
        new File(cache, "v1.4.0/${target}/jira-send").text = '#!/bin/sh\necho planted >&2\nexit 7\n'
        build(jiraSendVersion: '1.4.0')
        assert downloads().count { it.endsWith('.tar.gz') } == 3
        assert f.calls().size() == 3
        assert !f.pipeline.log.contains('planted')
    }

    @Test
    void theToolCacheAndAMissingReleaseAreTheUsersToChoose() {
        publish('v1.4.0')
        File shared = new File(f.root, 'agent-tools')
        build(jiraSendVersion: '1.4.0', toolCache: shared.path)
        assert new File(shared, "v1.4.0/${target}/jira-send").canExecute()
        assert !cache.exists()

        List<SiteResult> missing = build(jiraSendVersion: '9.9.9')
        assert missing*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
        assert f.pipeline.log.any { it.contains('cannot download') && it.contains('/releases/download/v9.9.9/SHA256SUMS') }
        assert build(jiraSendVersion: '1.4; rm -rf /')*.status == ['FAILURE_JIRA_SEND_UNAVAILABLE']
    }
}
