package io.laminar.app.http.openai;

import com.sun.net.httpserver.HttpExchange;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.HttpFront;
import io.laminar.app.http.openai.CompletionRequest.Endpoint;
import io.laminar.app.kafka.KafkaSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The OpenAI-compatible API on the process's HTTP port ({@code /v1/...}): a Kafka client like any
 * other, producing requests to the requests topic and reading every partition of the responses
 * topic, so it works in front of any {@code serve} and scales with the topics (docs/http.md).
 *
 * <p>Every answer, errors included, is OpenAI's shape; whatever a client sends, the door answers
 * and serves on.
 */
public final class OpenAiDoor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiDoor.class);
    /** The route on the HTTP port: everything under it is the door's. */
    public static final String PREFIX = "/v1";

    private final OpenAiSettings settings;
    private final RequestSender sender;
    private final ResponseRouter router;
    private final CompletionsHandler chat;
    private final CompletionsHandler text;
    private final long created = System.currentTimeMillis() / 1000;

    private OpenAiDoor(OpenAiSettings settings, RequestSender sender, ResponseRouter router) {
        this.settings = settings;
        this.sender = sender;
        this.router = router;
        this.chat = new CompletionsHandler(Endpoint.CHAT, settings, sender, router);
        this.text = new CompletionsHandler(Endpoint.TEXT, settings, sender, router);
    }

    /**
     * Opens the door on {@code front}: connects to Kafka (the responses topic must exist) and adds
     * the {@value #PREFIX} route.
     *
     * @throws IllegalArgumentException when the front listens beyond loopback and no API key is set
     */
    public static OpenAiDoor open(HttpFront front, OpenAiSettings settings, KafkaSettings kafka) {
        checkExposure(front.address(), settings);
        ResponseRouter router = new ResponseRouter(kafka.consumerConfig("unused"), kafka.responsesTopic());
        RequestSender sender;
        try {
            sender = new RequestSender(kafka.producerConfig(), kafka.requestsTopic());
        } catch (RuntimeException e) {
            router.close();
            throw e;
        }
        OpenAiDoor door = new OpenAiDoor(settings, sender, router);
        front.route(PREFIX, door::handle);
        return door;
    }

    /**
     * Refuses a door that anyone on the network could use: beyond loopback, API keys are required.
     *
     * @throws IllegalArgumentException saying what to do
     */
    public static void checkExposure(HttpAddress address, OpenAiSettings settings) {
        if (!address.loopback() && !settings.keys().required()) {
            throw new IllegalArgumentException("--http " + address + " listens beyond loopback: give API keys"
                    + " (--http-api-keys FILE, or " + ApiKeys.ENV + "=KEY1,KEY2) so that only your clients reach"
                    + " the model, or listen on 127.0.0.1");
        }
    }

    public OpenAiSettings settings() {
        return settings;
    }

    /** Requests the door waits on now. */
    public int waiting() {
        return router.waiting();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                dispatch(ex);
            } catch (ApiError e) {
                if (!HttpExchanges.answered(ex)) {
                    if (e.allow() != null) {
                        ex.getResponseHeaders().set("Allow", e.allow());
                    }
                    HttpExchanges.sendError(ex, e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                LOG.debug("{} {}: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                if (!HttpExchanges.answered(ex)) {
                    HttpExchanges.sendError(ex, new ApiError(500, ApiError.SERVER_ERROR,
                            "The server had an error while processing your request: " + e, null, null));
                }
            }
        } catch (IOException e) {
            LOG.debug("{} {}: answer not delivered: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
        }
    }

    private void dispatch(HttpExchange ex) throws IOException, InterruptedException {
        settings.keys().check(ex);
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        switch (path) {
            case "/v1/chat/completions" -> {
                post(method, path);
                chat.serve(ex);
            }
            case "/v1/completions" -> {
                post(method, path);
                text.serve(ex);
            }
            case "/v1/models" -> {
                get(method, path);
                HttpExchanges.sendJson(ex, 200, CompletionJson.modelList(settings.servedModel(), created));
            }
            default -> {
                if (!path.startsWith("/v1/models/")) {
                    throw ApiError.notFound(method, path);
                }
                get(method, path);
                String model = path.substring("/v1/models/".length());
                if (!model.equals(settings.servedModel())) {
                    throw ApiError.modelNotFound(model);
                }
                HttpExchanges.sendJson(ex, 200, CompletionJson.modelObject(model, created));
            }
        }
    }

    private static void post(String method, String path) {
        if (!method.equals("POST")) {
            throw ApiError.methodNotAllowed(method, path, "POST");
        }
    }

    private static void get(String method, String path) {
        if (!method.equals("GET")) {
            throw ApiError.methodNotAllowed(method, path, "GET");
        }
    }

    @Override
    public void close() {
        router.close();
        sender.close();
    }
}
