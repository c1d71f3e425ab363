package io.laminar.schemas.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * A schema registry for tests, on loopback: the part of Confluent Schema Registry's REST API that
 * serializers use, with its JSON shapes, status codes and error codes as its API reference gives
 * them. No real registry server can run here (Confluent's is not on Maven Central; Apicurio's is a
 * Quarkus application whose artifact cannot be started without its build), so tests speak the
 * documented protocol to this one, and a third-party client (Python's confluent-kafka) checks that
 * both sides read it the same way.
 *
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions} {"schema": "..."} answers {"id": N}; the same schema
 *       gets the same id in every subject; a schema the subject's latest version cannot be read by
 *       (BACKWARD compatibility, the registry's default) is 409, error_code 409; a schema that does
 *       not parse is 422, error_code 42201;</li>
 *   <li>{@code POST /subjects/{s}} answers {"subject", "id", "version", "schema"}, or 404 with
 *       error_code 40401 (no such subject) or 40403 (schema not in it);</li>
 *   <li>{@code GET /schemas/ids/{id}} answers {"schema": "..."}, or 404 with error_code 40403;</li>
 *   <li>{@code GET /subjects}, {@code GET /subjects/{s}/versions},
 *       {@code GET /subjects/{s}/versions/{v|latest}};</li>
 *   <li>basic authentication when {@link #requireCredentials} was called: else 401, error_code 401.</li>
 * </ul>
 */
public final class FakeSchemaRegistry implements AutoCloseable {
    public static final String MEDIA_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Pattern VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern VERSION = Pattern.compile("/subjects/([^/]+)/versions/(latest|-1|\\d+)");
    private static final Pattern SUBJECT = Pattern.compile("/subjects/([^/]+)");
    private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(-?\\d+)");

    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "fake-schema-registry");
        t.setDaemon(true);
        return t;
    });
    /** Schema text (as Avro writes it back) by id, ids from 1 up, shared by all subjects. */
    private final Map<Integer, String> schemas = new LinkedHashMap<>();
    private final Map<String, Integer> ids = new LinkedHashMap<>();
    /** Per subject, its versions' schema ids in order (version n is element n - 1). */
    private final Map<String, List<Integer>> subjects = new LinkedHashMap<>();
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private String authorization;

    private FakeSchemaRegistry(HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** A registry on a free loopback port. */
    public static FakeSchemaRegistry start() throws IOException {
        return new FakeSchemaRegistry(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    }

    /**
     * A registry serving https on a free loopback port with {@code tls} (its key and the CAs it
     * trusts), asking clients for a certificate when {@code needClientAuth}.
     */
    public static FakeSchemaRegistry startHttps(SSLContext tls, boolean needClientAuth) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = tls.getDefaultSSLParameters();
                parameters.setNeedClientAuth(needClientAuth);
                params.setSSLParameters(parameters);
            }
        });
        return new FakeSchemaRegistry(server);
    }

    /** Its base URL, {@code http://127.0.0.1:PORT} (https for {@link #startHttps}). */
    public String url() {
        return (server instanceof HttpsServer ? "https" : "http") + "://"
                + server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    /** From now on every call needs HTTP basic authentication as {@code user:password}. */
    public synchronized void requireCredentials(String userInfo) {
        authorization = "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    /** Registers {@code schema} under {@code subject} as a client would, and answers its id. */
    public synchronized int register(String subject, Schema schema) {
        return register(subject, schema.toString());
    }

    /** The calls answered so far, as "METHOD PATH". */
    public List<String> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    /** The ids of {@code subject}'s versions, oldest first; empty when it has none. */
    public synchronized List<Integer> versions(String subject) {
        return List.copyOf(subjects.getOrDefault(subject, List.of()));
    }

    private synchronized int register(String subject, String text) {
        Schema parsed = new Schema.Parser().parse(text);
        String canonical = parsed.toString();
        List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        Integer id = ids.get(canonical);
        if (id != null && versions.contains(id)) {
            return id;
        }
        if (!versions.isEmpty()) {
            Schema latest = new Schema.Parser().parse(schemas.get(versions.getLast()));
            if (SchemaCompatibility.checkReaderWriterCompatibility(parsed, latest).getType()
                    != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                throw new Refusal(409, 409, "Schema being registered is incompatible with an earlier schema for"
                        + " subject \"" + subject + "\"");
            }
        }
        if (id == null) {
            id = schemas.size() + 1;
            schemas.put(id, canonical);
            ids.put(canonical, id);
        }
        versions.add(id);
        return id;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            calls.add(method + " " + path);
            try {
                answer(exchange, 200, route(exchange, method, path));
            } catch (Refusal r) {
                ObjectNode error = json.createObjectNode().put("error_code", r.errorCode).put("message", r.getMessage());
                answer(exchange, r.status, error);
            } catch (RuntimeException e) {
                answer(exchange, 500, json.createObjectNode().put("error_code", 50001).put("message", e.toString()));
            }
        }
    }

    private synchronized JsonNode route(HttpExchange exchange, String method, String path) throws IOException {
        if (authorization != null && !authorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            throw new Refusal(401, 401, "Unauthorized");
        }
        Matcher m;
        if (method.equals("POST") && (m = VERSIONS.matcher(path)).matches()) {
            return json.createObjectNode().put("id", register(subject(m), schemaOf(exchange)));
        }
        if (method.equals("POST") && (m = SUBJECT.matcher(path)).matches()) {
            String subject = subject(m);
            String text = schemaOf(exchange);
            List<Integer> versions = subjects.get(subject);
            if (versions == null) {
                throw new Refusal(404, 40401, "Subject '" + subject + "' not found.");
            }
            Integer id = ids.get(new Schema.Parser().parse(text).toString());
            if (id == null || !versions.contains(id)) {
                throw new Refusal(404, 40403, "Schema not found");
            }
            return version(subject, versions.indexOf(id) + 1);
        }
        if (method.equals("GET") && (m = BY_ID.matcher(path)).matches()) {
            String schema = schemas.get(Integer.parseInt(m.group(1)));
            if (schema == null) {
                throw new Refusal(404, 40403, "Schema " + m.group(1) + " not found");
            }
            return json.createObjectNode().put("schema", schema);
        }
        if (method.equals("GET") && path.equals("/subjects")) {
            return json.valueToTree(subjects.keySet());
        }
        if (method.equals("GET") && (m = VERSIONS.matcher(path)).matches()) {
            List<Integer> versions = existing(subject(m));
            List<Integer> numbers = new ArrayList<>();
            for (int i = 1; i <= versions.size(); i++) {
                numbers.add(i);
            }
            return json.valueToTree(numbers);
        }
        if (method.equals("GET") && (m = VERSION.matcher(path)).matches()) {
            String subject = subject(m);
            List<Integer> versions = existing(subject);
            int n = m.group(2).equals("latest") || m.group(2).equals("-1") ? versions.size() : Integer.parseInt(m.group(2));
            if (n < 1 || n > versions.size()) {
                throw new Refusal(404, 40402, "Version " + m.group(2) + " not found.");
            }
            return version(subject, n);
        }
        throw new Refusal(404, 404, "HTTP 404 Not Found");
    }

    private List<Integer> existing(String subject) {
        List<Integer> versions = subjects.get(subject);
        if (versions == null) {
            throw new Refusal(404, 40401, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private ObjectNode version(String subject, int n) {
        int id = subjects.get(subject).get(n - 1);
        return json.createObjectNode().put("subject", subject).put("version", n).put("id", id)
                .put("schema", schemas.get(id));
    }

    private String schemaOf(HttpExchange exchange) throws IOException {
        JsonNode body;
        try {
            body = json.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            throw new Refusal(400, 400, "Unrecognized body: " + e.getMessage());
        }
        JsonNode type = body == null ? null : body.get("schemaType");
        if (type != null && !type.isNull() && !type.asText().equals("AVRO")) {
            throw new Refusal(422, 42201, "Only AVRO schemas in this registry");
        }
        JsonNode schema = body == null ? null : body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new Refusal(422, 42201, "Empty schema");
        }
        try {
            new Schema.Parser().parse(schema.asText());
        } catch (SchemaParseException e) {
            throw new Refusal(422, 42201, "Invalid schema: " + e.getMessage());
        }
        return schema.asText();
    }

    private static String subject(Matcher m) {
        return URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
    }

    private void answer(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", MEDIA_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** An error answer in Confluent's shape: {"error_code": N, "message": "..."}. */
    private static final class Refusal extends RuntimeException {
        final int status;
        final int errorCode;

        Refusal(int status, int errorCode, String message) {
            super(message);
            this.status = status;
            this.errorCode = errorCode;
        }
    }
}
