package io.laminar.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;

/**
 * A client of the schema registry REST API that Confluent Schema Registry defines and Apicurio
 * Registry (under {@code /apis/ccompat/v7}), Karapace and Redpanda also serve: the three calls a
 * serializer needs, with caches so that each is made once per schema.
 *
 * <ul>
 *   <li>{@code POST /subjects/{subject}/versions} registers a schema and answers its id;</li>
 *   <li>{@code POST /subjects/{subject}} looks up the id of a schema already registered;</li>
 *   <li>{@code GET /schemas/ids/{id}} fetches the writer schema of a record.</li>
 * </ul>
 *
 * <p>Calls are off the per-token path: ids are cached per (subject, schema) and schemas per id
 * (ids never change meaning). A miss blocks the calling thread for at most the timeout per URL, so
 * an unreachable registry is not asked again for {@link RegistrySettings#retryBackoff()}, and an id
 * the registry does not have is remembered as missing for {@link RegistrySettings#missingIdTtl()}:
 * records with bad ids cost a map look-up, not a call each.
 *
 * <p>Thread-safe.
 */
public final class SchemaRegistryClient {
    /** Confluent's media type; every compatible registry accepts it. */
    static final String MEDIA_TYPE = "application/vnd.schemaregistry.v1+json";
    /** Bounds the missing-id memory against records full of random ids. */
    private static final int MAX_MISSING_IDS = 10_000;

    private final List<URI> urls;
    private final String authorization;
    private final RegistrySettings settings;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Long> missingUntilMs = new ConcurrentHashMap<>();
    private volatile long unreachableUntilMs;
    private volatile String lastFailure;

    public SchemaRegistryClient(RegistrySettings settings) {
        this.settings = settings;
        List<URI> bases = new ArrayList<>();
        String credentials = settings.userInfo();
        for (String url : settings.urls()) {
            URI uri = URI.create(url.strip());
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL '" + url + "' is not an http(s) URL");
            }
            if (uri.getRawUserInfo() != null) {
                if (credentials == null) {
                    credentials = java.net.URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
                }
                uri = URI.create(uri.getScheme() + "://" + uri.getRawAuthority().substring(uri.getRawAuthority()
                        .indexOf('@') + 1) + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            String text = uri.toString();
            bases.add(URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text));
        }
        this.urls = List.copyOf(bases);
        this.authorization = credentials == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (settings.trustStore() != null || settings.keyStore() != null) {
            builder.sslContext(RegistryTls.context(settings.trustStore(), settings.keyStore()));
        }
        this.http = builder.build();
    }

    /** The subject of a topic's record values by Confluent's default TopicNameStrategy: {@code TOPIC-value}. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /** The registry's URLs, for messages (credentials left out). */
    public String describe() {
        return urls.size() == 1 ? urls.getFirst().toString() : urls.toString();
    }

    /**
     * The id of {@code schema} under {@code subject}: registered when {@code register}, else looked
     * up (it must be registered already). Cached: the registry is asked once per subject and schema.
     *
     * @throws SchemaRegistryException when the registry cannot be reached, refuses the schema (409
     *                                 incompatible, 422 invalid) or, looking up, does not have it (404)
     */
    public int writerId(String subject, Schema schema, boolean register) {
        String key = subject + '\u0000' + SchemaNormalization.parsingFingerprint64(schema) + '\u0000' + register;
        Integer id = idsBySubjectAndSchema.get(key);
        if (id == null) {
            id = register ? register(subject, schema) : lookUp(subject, schema);
            idsBySubjectAndSchema.put(key, id);
            schemasById.putIfAbsent(id, schema);
        }
        return id;
    }

    /** Registers {@code schema} under {@code subject} (a no-op for the registry if it is there) and answers its id. */
    public int register(String subject, Schema schema) {
        JsonNode answer = call("POST", "/subjects/" + pathSegment(subject) + "/versions", body(schema),
                "register the schema " + schema.getFullName() + " under subject " + subject);
        return id(answer, "registering under " + subject);
    }

    /** The id of {@code schema}, which must already be registered under {@code subject}. */
    public int lookUp(String subject, Schema schema) {
        JsonNode answer = call("POST", "/subjects/" + pathSegment(subject), body(schema),
                "look up the schema " + schema.getFullName() + " under subject " + subject);
        return id(answer, "looking up under " + subject);
    }

    /** The schema cached for {@code id}, without asking the registry; null when not cached. */
    public Schema cachedSchema(int id) {
        return schemasById.get(id);
    }

    /**
     * The Avro schema the registry has under {@code id}, fetched once.
     *
     * @throws SchemaRegistryException 404 when the registry does not have it (or had not a moment
     *                                 ago); status 0 when it cannot be reached (or could not a moment ago); 422 when the
     *                                 schema is not Avro or does not parse
     */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        long now = System.currentTimeMillis();
        Long missing = missingUntilMs.get(id);
        if (missing != null) {
            if (now < missing) {
                throw new SchemaRegistryException("schema id " + id + " is not in the schema registry at "
                        + describe() + " (asked less than " + settings.missingIdTtl().toMillis() + " ms ago)",
                        404, 40403, null);
            }
            missingUntilMs.remove(id, missing);
        }
        if (now < unreachableUntilMs) {
            throw new SchemaRegistryException("schema registry at " + describe() + " could not be reached a moment"
                    + " ago (" + lastFailure + "); schema id " + id + " is not cached", 0, 0, null);
        }
        JsonNode answer;
        try {
            answer = call("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        } catch (SchemaRegistryException e) {
            if (e.notFound() && settings.missingIdTtl().toMillis() > 0) {
                if (missingUntilMs.size() >= MAX_MISSING_IDS) {
                    missingUntilMs.clear();
                }
                missingUntilMs.put(id, System.currentTimeMillis() + settings.missingIdTtl().toMillis());
            } else if (e.transientFailure()) {
                lastFailure = e.getMessage();
                unreachableUntilMs = System.currentTimeMillis() + settings.retryBackoff().toMillis();
            }
            throw e;
        }
        JsonNode type = answer.get("schemaType");
        if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
            throw new SchemaRegistryException("schema id " + id + " is a " + type.asText() + " schema, not Avro",
                    422, 0, null);
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException("the schema registry's answer for schema id " + id + " has no"
                    + " \"schema\" string", 502, 0, null);
        }
        Schema schema;
        try {
            // A parser of its own each time: versions of one schema share names.
            schema = new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("schema id " + id + " is not an Avro schema that parses: "
                    + e.getMessage(), 422, 0, e);
        }
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    private String body(Schema schema) {
        return json.createObjectNode().put("schema", schema.toString()).toString();
    }

    private static int id(JsonNode answer, String what) {
        JsonNode id = answer.get("id");
        if (id == null || !id.canConvertToInt()) {
            throw new SchemaRegistryException("the schema registry's answer to " + what + " has no \"id\": " + answer,
                    502, 0, null);
        }
        return id.intValue();
    }

    /**
     * One call, tried on each URL in turn while the registry cannot be reached; an HTTP answer,
     * even an error, ends the search.
     */
    private JsonNode call(String method, String path, String body, String what) {
        List<String> failures = new ArrayList<>();
        for (URI base : urls) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(settings.timeout())
                    .header("Accept", MEDIA_TYPE + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5");
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            if (body == null) {
                request.GET();
            } else {
                request.header("Content-Type", MEDIA_TYPE)
                        .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                failures.add(base + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while trying to " + what, 0, 0, e);
            }
            return answer(response, what);
        }
        throw new SchemaRegistryException("cannot " + what + ": the schema registry could not be reached ("
                + String.join("; ", failures) + ")", 0, 0, null);
    }

    private JsonNode answer(HttpResponse<String> response, String what) {
        JsonNode node;
        try {
            node = json.readTree(response.body());
        } catch (IOException e) {
            node = null;
        }
        int status = response.statusCode();
        if (status / 100 == 2 && node != null && node.isObject()) {
            return node;
        }
        if (status / 100 == 2) {
            throw new SchemaRegistryException("cannot " + what + ": the schema registry answered " + status
                    + " with a body that is not a JSON object", status, 0, null);
        }
        int errorCode = node != null && node.path("error_code").canConvertToInt() ? node.get("error_code").intValue() : 0;
        String message = node != null && node.path("message").isTextual() ? node.get("message").asText()
                : abbreviate(response.body());
        throw new SchemaRegistryException("cannot " + what + ": the schema registry answered " + status
                + (errorCode != 0 ? " (error_code " + errorCode + ")" : "") + ": " + message, status, errorCode, null);
    }

    private static String abbreviate(String body) {
        String text = body == null ? "" : body.strip();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** Percent-encodes a subject for a URL path (topic names need none, but a subject may be any string). */
    private static String pathSegment(String subject) {
        StringBuilder out = new StringBuilder();
        for (byte b : subject.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }
}
