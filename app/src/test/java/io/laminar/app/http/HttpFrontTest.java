package io.laminar.app.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpFrontTest {
    @Test
    void addressesParseAsPortOrHostAndPort() {
        assertEquals(new HttpAddress("127.0.0.1", 8080), HttpAddress.parse("8080"));
        assertEquals(new HttpAddress("0.0.0.0", 80), HttpAddress.parse("0.0.0.0:80"));
        assertEquals(new HttpAddress("::1", 9), HttpAddress.parse("[::1]:9"));
        assertEquals("[::1]:9", HttpAddress.parse("[::1]:9").toString());
        assertTrue(HttpAddress.parse("9").loopback());
        assertFalse(HttpAddress.parse("0.0.0.0:9").loopback());
        assertThrows(IllegalArgumentException.class, () -> HttpAddress.parse("http"));
        assertThrows(IllegalArgumentException.class, () -> HttpAddress.parse(":80"));
        assertThrows(IllegalArgumentException.class, () -> HttpAddress.parse("70000"));
    }

    @Test
    void routesAnswerOnTheBoundPortAndOthersAre404() throws Exception {
        try (HttpFront front = HttpFront.bind(HttpAddress.parse("0")).route("/hello", exchange -> {
            byte[] body = "hi".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        }).start()) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://" + front.address();
            HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create(base + "/hello")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("hi", hello.body());
            assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/nothing")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void servesHttpsWithTheKeyStoresCertificate(@TempDir Path tmp) throws Exception {
        Path store = tmp.resolve("http.p12");
        // A self-signed certificate for 127.0.0.1, as docs/http.md's keytool command makes one.
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "laminar", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "s3cret", "-keypass", "s3cret")
                .redirectErrorStream(true).start();
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0,
                new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        try (HttpFront front = HttpFront.bind(HttpAddress.parse("0"), HttpTls.server(store, "s3cret")).route("/hello",
                exchange -> {
                    byte[] body = "hi".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    try (var out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                }).start()) {
            assertTrue(front.url().startsWith("https://127.0.0.1:"), front.url());
            HttpClient trusting = HttpClient.newBuilder().sslContext(HttpTls.trusting(store, "s3cret")).build();
            HttpResponse<String> hello = trusting.send(HttpRequest.newBuilder(URI.create(front.url() + "/hello")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("hi", hello.body());
            // A client that does not trust the certificate, or speaks plain HTTP, gets nothing.
            assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(front.url() + "/hello")).build(), HttpResponse.BodyHandlers.ofString()));
            assertThrows(IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + front.address() + "/hello")).timeout(java.time.Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> HttpTls.server(store, "wrong"));
        assertTrue(wrong.getMessage().contains(store.toString()), wrong.getMessage());
    }
}
