package io.laminar.app.models;

import io.laminar.app.models.ModelResolveException.Reason;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLException;

/** What {@link HfDownloader} tells a user when a download fails: what happened, and what to do about it. */
final class DownloadErrors {
    private DownloadErrors() {
    }

    /** The message for a 4xx or 5xx answer, using Hugging Face's {@code X-Error-Code} and {@code X-Error-Message}. */
    static ModelResolveException httpError(HfReference ref, HttpResponse<?> response, URI baseUri, Optional<String> token) {
        int status = response.statusCode();
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        String serverSays = response.headers().firstValue("X-Error-Message").map(m -> " (\"" + m + "\")").orElse("");
        String repo = ref.org() + "/" + ref.repo();
        URI page = ref.repoUri(baseUri);
        String start = "could not download " + ref + ": ";
        return switch (status) {
            case 401 -> new ModelResolveException(Reason.UNAUTHORIZED, start + "the server answered 401 Unauthorized" + serverSays
                    + (token.isPresent()
                    ? ". The token in HF_TOKEN was refused (invalid or expired), or " + repo + " does not exist. "
                    + "Check the name at " + page + " and the token at https://huggingface.co/settings/tokens."
                    : ": " + repo + " is gated or private, or does not exist. If it is gated, accept its terms at " + page
                    + " and set HF_TOKEN to an access token of that account (https://huggingface.co/settings/tokens)."),
                    null);
            case 403 -> new ModelResolveException(Reason.FORBIDDEN, start + "access to " + repo + " is forbidden (403)" + serverSays
                    + ". It is probably a gated model: accept its terms at " + page + (token.isPresent()
                    ? " with the account whose token is in HF_TOKEN, or use a token with read access."
                    : " and set HF_TOKEN to an access token of that account (https://huggingface.co/settings/tokens)."),
                    null);
            case 404 -> new ModelResolveException(Reason.NOT_FOUND, start + switch (code) {
                case "RepoNotFound" -> "the repository " + repo + " does not exist (404)" + serverSays + ". Check the name at " + page + ".";
                case "RevisionNotFound" -> "the revision '" + ref.revision() + "' does not exist in " + repo + " (404)" + serverSays
                        + ". See its branches and tags at " + page + ".";
                default -> "the file " + ref.file() + " was not found in " + repo + " at revision '" + ref.revision() + "' (404)"
                        + serverSays + ". See the files at " + page + "/tree/" + ref.revision() + ".";
            }, null);
            case 429 -> new ModelResolveException(Reason.HTTP_ERROR, start + "the server is rate limiting (429)" + serverSays
                    + "; wait a while and run again" + (token.isPresent() ? "." : ", or set HF_TOKEN (logged-in users get more)."), null);
            default -> new ModelResolveException(Reason.HTTP_ERROR, start + "the server answered HTTP " + status + serverSays
                    + (status >= 500 ? "; it may be down, run again later." : "."), null);
        };
    }

    static ModelResolveException sizeMismatch(HfReference ref, long actual, long expected, String what) {
        return new ModelResolveException(Reason.SIZE_MISMATCH, "the download of " + ref + " has the wrong size: " + what + " "
                + String.format(Locale.ROOT, "%,d", actual) + " bytes but the file is announced as "
                + String.format(Locale.ROOT, "%,d", expected) + " bytes. The partial download was deleted; run again to "
                + "download it afresh, or pass a local file instead with -m PATH.gguf.", null);
    }

    static ModelResolveException brokenOff(HfReference ref, Path partial, long written, long expectedSize, String why,
                                                   IOException cause) {
        String of = expectedSize >= 0 ? " of " + DownloadProgress.formatBytes(expectedSize) : "";
        return new ModelResolveException(Reason.INTERRUPTED, "the download of " + ref + " broke off after "
                + DownloadProgress.formatBytes(written) + of + " (" + why + "). What arrived is kept in " + partial
                + "; run the same command again to resume.", cause);
    }

    /**
     * Why a connection failed, in words: {@code unknown host huggingface.co (is this machine offline?)},
     * {@code 127.0.0.1:8080 refused the connection}, {@code connecting to huggingface.co timed out after 10 s}.
     */
    static String describeNetworkFailure(IOException e, URI uri, Duration timeout) {
        String host = uri != null ? uri.getHost() : null;
        String where = uri != null ? uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") : "the server";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                String name = host != null ? host : t.getMessage();
                return "unknown host " + name + " (is this machine offline, or is the name misspelt?)";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connecting to " + where + " timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return where + " did not answer within " + seconds(timeout);
            }
            if (t instanceof ConnectException) {
                return where + " refused the connection or could not be reached"
                        + (t.getMessage() != null && !t.getMessage().isBlank() ? " (" + t.getMessage() + ")" : "");
            }
            if (t instanceof SSLException) {
                return "the TLS handshake with " + where + " failed (" + t.getMessage() + ")";
            }
            if (t instanceof InterruptedIOException) {
                return "reading from " + where + " timed out";
            }
        }
        return e.getMessage() != null ? e.getClass().getSimpleName() + ": " + e.getMessage() : e.getClass().getSimpleName();
    }

    /** {@code 0.3 s}, {@code 30 s}. */
    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
