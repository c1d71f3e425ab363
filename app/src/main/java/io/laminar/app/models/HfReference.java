package io.laminar.app.models;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A file in a Hugging Face model repository, as {@code -m} names it:
 * {@code hf:ORG/REPO/FILE.gguf} or {@code hf:ORG/REPO/FILE.gguf@REVISION}.
 *
 * <pre>{@code
 * HfReference ref = HfReference.parse("hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf");
 * ref.downloadUri(URI.create("https://huggingface.co"));
 *     // https://huggingface.co/bartowski/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct-Q8_0.gguf
 * ref.cachePath(cacheDir);   // cacheDir/bartowski/SmolLM2-135M-Instruct-GGUF/main/SmolLM2-135M-Instruct-Q8_0.gguf
 * }</pre>
 *
 * <p>{@code FILE} may sit in a folder of the repository ({@code ORG/REPO/Q8_0/model.gguf}).
 * {@code REVISION} is a branch, a tag or a commit hash; it defaults to {@value #DEFAULT_REVISION}.
 * Every part is checked here, so none can climb out of the cache folder ({@code ..}) or smuggle a
 * query into the URL.
 *
 * @param org      the user or organisation owning the repository, e.g. {@code bartowski}
 * @param repo     the repository name, e.g. {@code SmolLM2-135M-Instruct-GGUF}
 * @param file     the file's path inside the repository, {@code /}-separated, ending in {@code .gguf}
 * @param revision the branch, tag or commit to download from
 */
public record HfReference(String org, String repo, String file, String revision) {

    /** What starts a Hugging Face reference. */
    public static final String PREFIX = "hf:";

    /** The revision used when the reference names none. */
    public static final String DEFAULT_REVISION = "main";

    /** The only file type Laminar loads. */
    static final String GGUF_SUFFIX = ".gguf";

    /** Hugging Face's rule for user, organisation and repository names (at most 96 characters). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    /** Branch names, tags and commit hashes; '/' is allowed ({@code refs/pr/1}). */
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,255}");

    public HfReference {
        Objects.requireNonNull(org, "org");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(revision, "revision");
        if (!isName(org)) {
            throw invalid(org + "/" + repo + "/" + file, "the organisation '" + org + "' is not a valid Hugging Face name");
        }
        if (!isName(repo)) {
            throw invalid(org + "/" + repo + "/" + file, "the repository '" + repo + "' is not a valid Hugging Face name");
        }
        if (!file.endsWith(GGUF_SUFFIX)) {
            throw invalid(org + "/" + repo + "/" + file, "the file '" + file + "' is not a .gguf file");
        }
        for (String segment : file.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || hasForbiddenChar(segment)) {
                throw invalid(org + "/" + repo + "/" + file, "the file path '" + file + "' has an empty, '.' or '..' part "
                        + "or a character that cannot be in a file name");
            }
        }
        if (!REVISION.matcher(revision).matches() || revision.contains("..") || revision.startsWith("/")
                || revision.endsWith("/")) {
            throw invalid(org + "/" + repo + "/" + file + "@" + revision, "the revision '" + revision
                    + "' is not a branch, tag or commit name");
        }
    }

    /** Whether {@code model} is meant as a Hugging Face reference (starts with {@value #PREFIX}). */
    public static boolean isHfReference(String model) {
        return model.startsWith(PREFIX);
    }

    /**
     * Parses {@code hf:ORG/REPO/FILE.gguf[@REVISION]}.
     *
     * @throws ModelResolveException with {@link ModelResolveException.Reason#INVALID_REFERENCE} when it is not one
     */
    public static HfReference parse(String model) {
        if (!isHfReference(model)) {
            throw invalid(model, "it does not start with " + PREFIX);
        }
        String body = model.substring(PREFIX.length());
        String revision = DEFAULT_REVISION;
        int at = body.indexOf(GGUF_SUFFIX + "@");
        if (at >= 0) {
            revision = body.substring(at + GGUF_SUFFIX.length() + 1);
            body = body.substring(0, at + GGUF_SUFFIX.length());
            if (revision.isEmpty()) {
                throw invalid(model, "nothing follows '@' (leave it out for revision " + DEFAULT_REVISION + ")");
            }
        }
        String[] parts = body.split("/", 3);
        if (parts.length < 3 || parts[2].isEmpty()) {
            throw invalid(model, "it needs three parts, ORG/REPO/FILE.gguf");
        }
        return new HfReference(parts[0], parts[1], parts[2], revision);
    }

    /**
     * Reads a pasted Hugging Face URL ({@code https://huggingface.co/ORG/REPO/resolve/REV/FILE.gguf}
     * or {@code .../blob/REV/FILE.gguf}) as the reference it points at, so an error can suggest it.
     */
    static Optional<HfReference> fromUrl(String text) {
        String rest;
        if (text.startsWith("https://huggingface.co/")) {
            rest = text.substring("https://huggingface.co/".length());
        } else if (text.startsWith("https://hf.co/")) {
            rest = text.substring("https://hf.co/".length());
        } else {
            return Optional.empty();
        }
        int query = rest.indexOf('?');
        if (query >= 0) {
            rest = rest.substring(0, query);
        }
        String[] parts = rest.split("/", 5);
        if (parts.length < 5 || !(parts[2].equals("resolve") || parts[2].equals("blob"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new HfReference(parts[0], parts[1], parts[4], parts[3]));
        } catch (ModelResolveException e) {
            return Optional.empty();
        }
    }

    /**
     * Reads {@code ORG/REPO/FILE.gguf[@REVISION]} written without its {@value #PREFIX}, so an error
     * about a missing local file can suggest the reference. Empty for anything that looks like a path.
     */
    static Optional<HfReference> withoutPrefix(String text) {
        if (text.startsWith("/") || text.startsWith(".") || text.startsWith("~") || text.contains("\\")) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(PREFIX + text));
        } catch (ModelResolveException e) {
            return Optional.empty();
        }
    }

    /** {@code BASE/ORG/REPO/resolve/REVISION/FILE}, each part percent-encoded. */
    public URI downloadUri(URI base) {
        return URI.create(trimSlash(base) + "/" + org + "/" + repo + "/resolve/" + encode(revision) + "/" + encodePath(file));
    }

    /** The repository's page, where gated models are accepted: {@code BASE/ORG/REPO}. */
    public URI repoUri(URI base) {
        return URI.create(trimSlash(base) + "/" + org + "/" + repo);
    }

    /**
     * Where the file is kept: {@code cacheDir/ORG/REPO/REVISION/FILE}. A revision with '/'
     * ({@code refs/pr/1}) becomes one folder, {@code refs%2Fpr%2F1}.
     */
    public Path cachePath(Path cacheDir) {
        Path path = cacheDir.resolve(org).resolve(repo).resolve(revision.replace("/", "%2F"));
        for (String segment : file.split("/")) {
            path = path.resolve(segment);
        }
        return path;
    }

    /** The reference as {@code -m} takes it; the revision is written only when it is not the default. */
    @Override
    public String toString() {
        return PREFIX + org + "/" + repo + "/" + file + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
    }

    private static boolean isName(String name) {
        return NAME.matcher(name).matches() && !name.contains("..") && !name.endsWith(".");
    }

    private static boolean hasForbiddenChar(String segment) {
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#' || c == '%') {
                return true;
            }
        }
        return false;
    }

    private static String trimSlash(URI base) {
        String s = base.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/")) {
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(encode(segment));
        }
        return out.toString();
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters (so '/' becomes %2F). */
    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    private static ModelResolveException invalid(String reference, String why) {
        String shown = reference.startsWith(PREFIX) ? reference : PREFIX + reference;
        return new ModelResolveException(ModelResolveException.Reason.INVALID_REFERENCE,
                "'" + shown + "' is not a Hugging Face reference: " + why
                        + "; write hf:ORG/REPO/FILE.gguf or hf:ORG/REPO/FILE.gguf@REVISION", null);
    }
}
