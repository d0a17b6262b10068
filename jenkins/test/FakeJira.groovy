import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer

/**
 * Jira Cloud on loopback, as far as jira-send talks to it: the OAuth token endpoint,
 * the site's tenant_info, the Builds and Deployments bulk endpoints and gating-status.
 * It records every request; tests set the answers. It also serves files (a fake
 * release) under /releases/.
 */
class FakeJira {
    static final String CLOUD_ID = 'c0ffee00-0000-4000-8000-000000000001'

    final HttpServer server
    final List<Map> requests = Collections.synchronizedList([])
    /** The token endpoint's status (401 refuses the credentials). */
    volatile int tokenStatus = 200
    /** The bulk endpoints' answer, by API ("builds", "deployments"). */
    final Map<String, String> bulkAnswers = [
        builds     : '{"acceptedBuilds":[{"pipelineId":"p","buildNumber":7}],"rejectedBuilds":[],"unknownIssueKeys":[]}',
        deployments: '{"acceptedDeployments":[{"pipelineId":"p","environmentId":"e","deploymentSequenceNumber":7}],"rejectedDeployments":[],"unknownAssociations":[]}',
    ]
    /** gating-status's answer. */
    volatile String gatingAnswer = '{"gatingStatus":"allowed","details":[]}'
    /** Files served under /releases/: path below it → bytes. */
    final Map<String, byte[]> releaseFiles = [:]

    FakeJira() {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.createContext('/') { HttpExchange exchange -> handle(exchange) }
        server.start()
    }

    String getUrl() {
        return "http://127.0.0.1:${server.address.port}"
    }

    void stop() {
        server.stop(0)
    }

    /** The variables that point jira-send here instead of at Atlassian. */
    Map<String, String> environment(File cache) {
        return [
            JIRA_SITE             : url,
            JIRA_SEND_API_URL     : url,
            JIRA_SEND_TOKEN_URL   : "${url}/oauth/token".toString(),
            JIRA_SEND_CACHE_DIR   : cache.path,
            JIRA_SEND_RETRY_DELAY : '10ms',
            JIRA_SEND_TIMEOUT     : '20s',
        ]
    }

    List<Map> requestsTo(String pathPart) {
        return requests.findAll { it.path.contains(pathPart) }
    }

    private void handle(HttpExchange exchange) {
        String path = exchange.requestURI.rawPath
        String body = exchange.requestBody.getText('UTF-8')
        requests << [method: exchange.requestMethod, path: path, body: body,
                     authorization: exchange.requestHeaders.getFirst('Authorization')]
        if (path.startsWith('/releases/')) {
            byte[] file = releaseFiles[path.substring('/releases/'.length())]
            reply(exchange, file == null ? 404 : 200, file ?: 'not found'.bytes, 'application/octet-stream')
        } else if (path == '/oauth/token') {
            reply(exchange, tokenStatus, tokenStatus == 200
                ? '{"access_token":"fake-token","expires_in":3600,"token_type":"Bearer"}'
                : '{"error":"access_denied","error_description":"Unauthorized"}')
        } else if (path == '/_edge/tenant_info') {
            reply(exchange, 200, "{\"cloudId\":\"${CLOUD_ID}\"}")
        } else if (path.endsWith('/gating-status')) {
            reply(exchange, 200, gatingAnswer)
        } else if (path ==~ "/jira/(builds|deployments)/0\\.1/cloud/${CLOUD_ID}/bulk") {
            String api = path.split('/')[2]
            reply(exchange, 202, bulkAnswers[api])
        } else {
            reply(exchange, 404, '{"message":"not found"}')
        }
    }

    private static void reply(HttpExchange exchange, int status, Object body, String type = 'application/json') {
        byte[] bytes = body instanceof byte[] ? (byte[]) body : body.toString().getBytes('UTF-8')
        exchange.responseHeaders.add('Content-Type', type)
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length)
        exchange.responseBody.withStream { it.write(bytes) }
    }
}
