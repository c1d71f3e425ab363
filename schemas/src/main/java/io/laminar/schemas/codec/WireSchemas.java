package io.laminar.schemas.codec;

import io.laminar.schemas.InferenceRequest;
import io.laminar.schemas.ResponseEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.SchemaStore;

/**
 * The schemas of the wire contract and the writer schemas decoders accept.
 *
 * <p>A decoder accepts a single-object record when it knows the writer schema its fingerprint
 * names: the current schema, every earlier (or already announced later) version listed in
 * {@value #KNOWN_INDEX} on the classpath, and the files named by
 * {@link SchemasConfig#SCHEMAS_EXTRA_FILES_CONFIG}. Avro then resolves the writer's schema against
 * the current one (docs/schemas.md, "Evolution").
 */
public final class WireSchemas {

    /** Classpath resource listing the known non-current schema files, one per line, relative to it. */
    public static final String KNOWN_INDEX = "io/laminar/schemas/known/index.txt";

    private WireSchemas() {
    }

    /** The current request schema (what this build writes and reads into). */
    public static Schema request() {
        return InferenceRequest.getClassSchema();
    }

    /** The current response event schema. */
    public static Schema response() {
        return ResponseEvent.getClassSchema();
    }

    /** The single-object fingerprint of a schema: CRC-64-AVRO of its Parsing Canonical Form. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** The non-current schemas listed in {@value #KNOWN_INDEX}, in listed order. */
    public static List<Schema> knownVersions() {
        List<Schema> schemas = new ArrayList<>();
        ClassLoader loader = WireSchemas.class.getClassLoader();
        try (InputStream index = loader.getResourceAsStream(KNOWN_INDEX)) {
            if (index == null) {
                return schemas;
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(index, StandardCharsets.UTF_8));
            String base = KNOWN_INDEX.substring(0, KNOWN_INDEX.lastIndexOf('/') + 1);
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String name = line.strip();
                if (name.isEmpty() || name.startsWith("#")) {
                    continue;
                }
                try (InputStream file = loader.getResourceAsStream(base + name)) {
                    if (file == null) {
                        throw new IllegalStateException(KNOWN_INDEX + " lists " + name + ", which is missing");
                    }
                    schemas.add(new Schema.Parser().parse(file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return schemas;
    }

    /** Parses .avsc files, each with a fresh parser (versions of one schema share names). */
    public static List<Schema> parseFiles(Collection<String> paths) {
        List<Schema> schemas = new ArrayList<>();
        for (String path : paths) {
            try {
                schemas.add(new Schema.Parser().parse(Files.readString(Path.of(path.strip()))));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read schema file " + path, e);
            }
        }
        return schemas;
    }

    /**
     * A store of the writer schemas a decoder for {@code current} accepts: itself, the known
     * versions of the same full name, and those of {@code extra} with the same full name.
     */
    public static SchemaStore.Cache store(Schema current, Collection<Schema> extra) {
        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(current);
        for (Schema schema : knownVersions()) {
            if (schema.getFullName().equals(current.getFullName())) {
                store.addSchema(schema);
            }
        }
        for (Schema schema : extra) {
            if (schema.getFullName().equals(current.getFullName())) {
                store.addSchema(schema);
            }
        }
        return store;
    }

    /** {@link #store} with the extra files a config names. */
    static SchemaStore.Cache store(Schema current, SchemasConfig config) {
        return store(current, parseFiles(config.extraSchemaFiles()));
    }
}
