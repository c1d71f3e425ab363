package io.laminar.app.http.openai;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The API keys the door accepts in {@code Authorization: Bearer KEY}. None means no check, which
 * {@link OpenAiDoor} allows only on loopback. Keys are kept as SHA-256 digests and compared in
 * constant time, so neither memory nor timing gives one away.
 */
public final class ApiKeys {
    /** Environment variable with keys, comma-separated, added to those of the file. */
    public static final String ENV = "LAMINAR_HTTP_API_KEYS";

    public static final ApiKeys NONE = new ApiKeys(List.of());

    private final List<byte[]> digests;

    private ApiKeys(List<byte[]> digests) {
        this.digests = digests;
    }

    /** These keys (blank ones skipped). */
    public static ApiKeys of(List<String> keys) {
        List<byte[]> digests = new ArrayList<>();
        for (String k : keys) {
            if (!k.isBlank()) {
                digests.add(sha256(k.strip()));
            }
        }
        return new ApiKeys(List.copyOf(digests));
    }

    /**
     * The keys of {@code file} (one per line; blank lines and lines starting with '#' skipped, may
     * be null for none) and of {@value #ENV} in {@code env}.
     *
     * @throws UncheckedIOException naming the file when it cannot be read
     */
    public static ApiKeys load(Path file, String env) {
        List<String> keys = new ArrayList<>();
        if (file != null) {
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.strip().startsWith("#")) {
                        keys.add(line.strip());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the API keys file " + file + ": " + e.getMessage(), e);
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("the API keys file " + file + " holds no key");
            }
        }
        if (env != null) {
            keys.addAll(List.of(env.split(",")));
        }
        return of(keys);
    }

    public boolean required() {
        return !digests.isEmpty();
    }

    public int count() {
        return digests.size();
    }

    /** @throws ApiError 401 when keys are required and the exchange brings none, or another one */
    public void check(HttpExchange ex) {
        if (!required()) {
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
            throw ApiError.missingKey();
        }
        byte[] given = sha256(auth.substring(7).strip());
        boolean found = false;
        for (byte[] d : digests) {
            found |= MessageDigest.isEqual(d, given);
        }
        if (!found) {
            throw ApiError.wrongKey();
        }
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
