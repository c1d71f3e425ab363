package io.laminar.app.models;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The record, beside a cached model, that its download was verified: {@code FILE.gguf.sha256}.
 * With it a later start trusts the file after checking only its size, instead of hashing
 * gigabytes again. It is written in {@code sha256sum} format, so {@code sha256sum -c} checks it
 * by hand (it skips the {@code #} lines):
 *
 * <pre>
 * # Written by laminar once this download was verified; `sha256sum -c FILE.gguf.sha256` checks it again.
 * # size 144810592
 * # source https://huggingface.co/ORG/REPO/resolve/main/FILE.gguf
 * e0f8...64 hex digits...  FILE.gguf
 * </pre>
 *
 * @param sha256 the file's sha256, 64 lower-case hex digits
 * @param size   the file's size in bytes
 */
record ChecksumFile(String sha256, long size) {

    /** Appended to the model file's name. */
    static final String SUFFIX = ".sha256";

    private static final String SIZE_PREFIX = "# size ";

    /** The checksum file of {@code model}: {@code model} plus {@value #SUFFIX}. */
    static Path pathFor(Path model) {
        return model.resolveSibling(model.getFileName() + SUFFIX);
    }

    /** Reads the checksum file of {@code model}; empty when it is missing or not one Laminar wrote. */
    static Optional<ChecksumFile> read(Path model) throws IOException {
        String text;
        try {
            text = Files.readString(pathFor(model), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        long size = -1;
        String sha256 = null;
        for (String line : text.split("\n")) {
            if (line.startsWith(SIZE_PREFIX)) {
                try {
                    size = Long.parseLong(line.substring(SIZE_PREFIX.length()).strip());
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            } else if (!line.startsWith("#") && line.length() > 64 && isSha256(line.substring(0, 64))) {
                sha256 = line.substring(0, 64).toLowerCase(Locale.ROOT);
            }
        }
        return size >= 0 && sha256 != null ? Optional.of(new ChecksumFile(sha256, size)) : Optional.empty();
    }

    /** Writes the checksum file of {@code model} atomically (a temporary file, then a rename). */
    void write(Path model, URI source) throws IOException {
        String text = "# Written by laminar once this download was verified; `sha256sum -c "
                + model.getFileName() + SUFFIX + "` checks it again.\n"
                + SIZE_PREFIX + size + "\n"
                + "# source " + source + "\n"
                + sha256 + "  " + model.getFileName() + "\n";
        Path target = pathFor(model);
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.UTF_8);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Whether {@code s} is 64 hex digits, the form of a sha256. */
    static boolean isSha256(String s) {
        if (s.length() != 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!HexFormat.isHexDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
