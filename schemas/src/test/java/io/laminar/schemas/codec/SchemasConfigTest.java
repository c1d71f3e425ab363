package io.laminar.schemas.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.schemas.ErrorCode;
import io.laminar.schemas.FinishReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

class SchemasConfigTest {

    private static final Path DOCS = Path.of("../docs/schemas.md");

    @Test
    void defaultsAreTheDocumentedConstants() {
        SchemasConfig config = SchemasConfig.defaults();
        assertEquals(WireFormat.AVRO, config.requestFormat());
        assertEquals(WireFormat.AVRO, config.responseFormat());
        assertEquals(SchemasConfig.DEFAULT_REQUEST_MAX_BYTES, config.requestMaxBytes());
        assertEquals(SchemasConfig.DEFAULT_REQUEST_MAX_PROMPT_CHARS, config.requestMaxPromptChars());
        assertEquals(SchemasConfig.DEFAULT_REQUEST_MAX_TOKENS_LIMIT, config.requestMaxTokensLimit());
        assertEquals(SchemasConfig.DEFAULT_JSON_MAX_DEPTH, config.jsonMaxDepth());
        assertEquals(false, config.requestJsonIgnoresUnknownFields());
        assertTrue(config.extraSchemaFiles().isEmpty());
    }

    @Test
    void everyKeyStartsWithLaminarAndIsDocumented() throws IOException {
        String docs = Files.readString(DOCS);
        assertTrue(docs.contains(SchemasConfig.markdownTable()),
                "docs/schemas.md must carry the table SchemasConfig.main prints:\n" + SchemasConfig.markdownTable());
        for (ConfigDef.ConfigKey key : SchemasConfig.configDef().configKeys().values()) {
            assertTrue(key.name.startsWith("laminar."), key.name);
        }
        for (String property : new String[] {AvroLimits.STRING_MAX_LENGTH_PROPERTY, AvroLimits.BYTES_MAX_LENGTH_PROPERTY,
                AvroLimits.COLLECTION_ITEMS_MAX_LENGTH_PROPERTY, AvroLimits.COLLECTION_ITEMS_MAX_ALLOCATION_PROPERTY}) {
            assertTrue(docs.contains(property), property + " is not in docs/schemas.md");
        }
    }

    @Test
    void everyErrorCodeAndFinishReasonIsDocumented() throws IOException {
        String docs = Files.readString(DOCS);
        for (ErrorCode code : ErrorCode.values()) {
            assertTrue(docs.contains("| `" + code + "` |"), code + " has no row in docs/schemas.md");
        }
        for (FinishReason reason : FinishReason.values()) {
            assertTrue(docs.contains("| `" + reason + "` |"), reason + " has no row in docs/schemas.md");
        }
        for (String schema : new String[] {WireSchemas.request().toString(), WireSchemas.response().toString()}) {
            for (String field : fieldNames(schema)) {
                // as `name`, or in a path: `name.child`, `parent.name`, `parent[].name`
                assertTrue(docs.contains("`" + field + "`") || docs.contains("." + field + "`")
                                || docs.contains("`" + field + "."),
                        field + " is not in docs/schemas.md");
            }
        }
    }

    @Test
    void theDocumentedFingerprintsAreTheCurrentOnes() throws IOException {
        String docs = Files.readString(DOCS);
        for (org.apache.avro.Schema schema : new org.apache.avro.Schema[] {WireSchemas.request(), WireSchemas.response()}) {
            String row = "| `" + schema.getFullName() + "` | `" + String.format("%016x", WireSchemas.fingerprint(schema)) + "` |";
            assertTrue(docs.contains(row), "docs/schemas.md should have the row " + row);
        }
    }

    private static java.util.List<String> fieldNames(String schemaJson) {
        java.util.List<String> names = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\"name\":\"([a-z_]+)\",\"type\"").matcher(schemaJson);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
