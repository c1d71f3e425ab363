package io.laminar.app.http.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.laminar.app.http.openai.ApiError;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.app.http.openai.HttpExchanges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * What the dashboard's JSON routes share: the OpenAI door's API keys guard them (they show prompts),
 * only GET is served, and errors have OpenAI's error shape, so bad input gets an answer, never a crash.
 */
abstract class LaminarRoute implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(LaminarRoute.class);

    private final ApiKeys keys;

    LaminarRoute(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public final void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                keys.check(ex);
                if (!ex.getRequestMethod().equals("GET")) {
                    throw ApiError.methodNotAllowed(ex.getRequestMethod(), ex.getRequestURI().getPath(), "GET");
                }
                String path = ex.getRequestURI().getPath();
                get(ex, path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
            } catch (ApiError e) {
                if (e.allow() != null) {
                    ex.getResponseHeaders().set("Allow", e.allow());
                }
                HttpExchanges.sendError(ex, e);
            } catch (RuntimeException e) {
                LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
                if (ex.getResponseCode() == -1) {
                    HttpExchanges.sendError(ex, ApiError.serverError(e.toString()));
                }
            }
        } catch (IOException e) {
            LOG.debug("{} {}: answer not delivered: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString());
        }
    }

    /** Answers a GET of {@code path} (without a trailing slash); throws {@link ApiError} for a wrong one. */
    abstract void get(HttpExchange ex, String path) throws IOException;
}
