package io.laminar.app.http;

import io.laminar.app.http.openai.OpenAiDoor;
import io.laminar.app.serve.LaminarServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Test base: an in-process server with its OpenAI door on a loopback HTTP front, and a client for
 * it. HTTP/1.1 so that a test sees the framing a curl or an OpenAI client would.
 */
public abstract class LoopbackServing implements AutoCloseable {
    public final LaminarServer server;
    public final HttpFront front;
    public final OpenAiDoor door;
    public final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    protected LoopbackServing(LaminarServer server, HttpFront front, OpenAiDoor door) {
        this.server = server;
        this.front = front;
        this.door = door;
    }

    public URI uri(String path) {
        return URI.create("http://" + front.address() + path);
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        front.close();
        door.close();
        server.close();
    }
}
