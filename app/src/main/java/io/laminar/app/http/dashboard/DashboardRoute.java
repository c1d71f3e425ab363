package io.laminar.app.http.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /dashboard}: the one static page (HTML, CSS and script in one resource file, nothing
 * fetched from elsewhere, so it works offline). It holds no data; its script asks the JSON routes,
 * which the API keys guard, and takes a key from the page when they are required.
 */
public final class DashboardRoute implements HttpHandler {
    public static final String PATH = "/dashboard";
    private static final String RESOURCE = "dashboard.html";

    private final byte[] page;

    public DashboardRoute() {
        try (InputStream in = DashboardRoute.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the dashboard page " + RESOURCE + " is missing from the build");
            }
            page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (!path.equals(PATH) && !path.equals(PATH + "/")) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (!ex.getRequestMethod().equals("GET")) {
                ex.getResponseHeaders().set("Allow", "GET");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, page.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(page);
            }
        }
    }
}
