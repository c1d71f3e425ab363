package io.laminar.app.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads deploy/ and the poms for the tests: the repository root, YAML files (compose, Kubernetes), the Dockerfile's instructions. */
final class DeployFiles {
    private DeployFiles() {
    }

    /** One Dockerfile instruction, continuation lines joined. */
    record Instruction(String keyword, String arguments) {
        /** The arguments of the exec form {@code ["a", "b"]}. */
        List<String> execForm() {
            try {
                JsonNode array = new ObjectMapper().readTree(arguments);
                if (!array.isArray()) {
                    throw new IllegalStateException(keyword + " is not in exec form: " + arguments);
                }
                List<String> out = new ArrayList<>();
                array.forEach(n -> out.add(n.asText()));
                return out;
            } catch (IOException e) {
                throw new IllegalStateException(keyword + " is not in exec form: " + arguments, e);
            }
        }
    }

    /** The repository root: the first folder up from the working directory with the launcher and a pom.xml. */
    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("laminar")) && Files.exists(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (./laminar, pom.xml) above " + Path.of("").toAbsolutePath());
    }

    static JsonNode compose() {
        return yaml(repositoryRoot().resolve("deploy/docker-compose.yml"));
    }

    /** A YAML file of one document. */
    static JsonNode yaml(Path file) {
        List<JsonNode> documents = yamlDocuments(file);
        if (documents.size() != 1) {
            throw new IllegalStateException(file + " has " + documents.size() + " YAML documents, not one");
        }
        return documents.getFirst();
    }

    /** Every document of a YAML file ("---" separated), empty ones left out. */
    static List<JsonNode> yamlDocuments(Path file) {
        try (MappingIterator<JsonNode> it = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class)
                .readValues(file.toFile())) {
            List<JsonNode> documents = new ArrayList<>();
            while (it.hasNextValue()) {
                JsonNode document = it.nextValue();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
            return documents;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The image the compose file runs Kafka from, e.g. apache/kafka:4.3.1. */
    static String kafkaImage() {
        return compose().path("services").path("kafka").path("image").asText();
    }

    static List<Instruction> dockerfile(Path file) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : read(file).lines().toList()) {
            String trimmed = line.strip();
            if (current.isEmpty() && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (!current.isEmpty() && trimmed.startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            current.append(trimmed);
            String text = current.toString().strip();
            current.setLength(0);
            int space = text.indexOf(' ');
            instructions.add(new Instruction(text.substring(0, space).toUpperCase(java.util.Locale.ROOT),
                    text.substring(space + 1).strip()));
        }
        return instructions;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text of the first {@code <tag>...</tag>} in a pom (enough for the few values the tests compare). */
    static String pomValue(Path pom, String tag) {
        Matcher m = Pattern.compile("<" + Pattern.quote(tag) + ">([^<]*)</" + Pattern.quote(tag) + ">").matcher(read(pom));
        if (!m.find()) {
            throw new IllegalStateException("no <" + tag + "> in " + pom);
        }
        return m.group(1).strip();
    }
}
