package io.laminar.app.http;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

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
}
