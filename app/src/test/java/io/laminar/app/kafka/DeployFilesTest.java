package io.laminar.app.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.laminar.app.Main;
import io.laminar.app.kafka.DeployFiles.Instruction;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/ is not run here (no Docker engine), so its files are checked against what the build
 * makes: the jar path and main class, the JVM flags, the Kafka version, the ports and the model
 * mount, and the serve command's options.
 */
class DeployFilesTest {
    private static final Path ROOT = DeployFiles.repositoryRoot();
    private static final Path DOCKERFILE = ROOT.resolve("deploy/Dockerfile");

    @Test
    void dockerfileBuildsTheShadedJarAndRunsItAsANonRootUser() {
        List<Instruction> instructions = DeployFiles.dockerfile(DOCKERFILE);
        List<Instruction> froms = instructions.stream().filter(i -> i.keyword().equals("FROM")).toList();
        assertEquals(2, froms.size(), "multi-stage: build and runtime");
        assertTrue(froms.get(0).arguments().matches("maven:\\S*temurin-25\\S* AS build"), froms.get(0).arguments());
        assertTrue(froms.get(1).arguments().matches("eclipse-temurin:25\\S*jre\\S*"), froms.get(1).arguments());

        // The build stage builds the module that makes the jar, and the runtime copies that jar.
        String jarName = DeployFiles.pomValue(ROOT.resolve("app/pom.xml"), "finalName") + ".jar";
        String builtJar = "app/target/" + jarName;
        Instruction mvn = instructions.stream()
                .filter(i -> i.keyword().equals("RUN") && i.arguments().contains("mvn ")).findFirst().orElseThrow();
        assertTrue(mvn.arguments().contains("-pl app -am package"), mvn.arguments());
        Instruction copy = instructions.stream()
                .filter(i -> i.keyword().equals("COPY") && i.arguments().startsWith("--from=build")).findFirst().orElseThrow();
        String[] copyArgs = copy.arguments().split("\\s+");
        assertTrue(copyArgs[1].endsWith("/" + builtJar), "copies " + builtJar + ": " + copy.arguments());
        String jarInImage = copyArgs[2];

        Instruction user = last(instructions, "USER");
        assertFalse(List.of("root", "0").contains(user.arguments()), "runs as " + user.arguments());

        List<String> entrypoint = last(instructions, "ENTRYPOINT").execForm();
        assertEquals("java", entrypoint.getFirst());
        String flags = DeployFiles.pomValue(ROOT.resolve("pom.xml"), "laminar.jvm.flags");
        for (String flag : flags.split("\\s+")) {
            assertTrue(entrypoint.contains(flag), "ENTRYPOINT lacks " + flag + ": " + entrypoint);
        }
        // "--add-modules jdk.incubator.vector" is two words: keep them together.
        assertEquals("jdk.incubator.vector", entrypoint.get(entrypoint.indexOf("--add-modules") + 1));
        assertEquals(jarInImage, entrypoint.get(entrypoint.indexOf("-jar") + 1));
        assertEquals(List.of("serve"), last(instructions, "CMD").execForm());
    }

    @Test
    void theJarsMainClassIsTheCommandLine() throws Exception {
        String mainClass = DeployFiles.pomValue(ROOT.resolve("app/pom.xml"), "mainClass");
        assertEquals(Main.class.getName(), mainClass);
        assertTrue(Class.forName(mainClass).getMethod("main", String[].class) != null);
    }

    @Test
    void composeRunsKafkaInKRaftModeAtTheVersionWeBuildAgainst() {
        JsonNode kafka = DeployFiles.compose().path("services").path("kafka");
        String kafkaVersion = DeployFiles.pomValue(ROOT.resolve("pom.xml"), "kafka.version");
        assertEquals("apache/kafka:" + kafkaVersion, kafka.path("image").asText());

        Map<String, String> env = environment(kafka);
        assertEquals("broker,controller", env.get("KAFKA_PROCESS_ROLES"));
        assertEquals("1", env.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"));
        assertEquals("1", env.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"));
        assertEquals("1", env.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"));

        Map<String, Integer> listenerPorts = listeners(env.get("KAFKA_LISTENERS"));
        String controller = env.get("KAFKA_CONTROLLER_LISTENER_NAMES");
        String voter = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS");
        assertEquals(env.get("KAFKA_NODE_ID") + "@kafka:" + listenerPorts.get(controller), voter);
        for (String advertised : env.get("KAFKA_ADVERTISED_LISTENERS").split(",")) {
            String name = advertised.substring(0, advertised.indexOf("://"));
            assertNotEquals(controller, name, "the controller listener is not advertised");
            assertEquals(listenerPorts.get(name), port(advertised), "advertised " + advertised + " is a listener's port");
        }
        for (String protocolMapping : env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").split(",")) {
            assertTrue(listenerPorts.containsKey(protocolMapping.split(":")[0]), protocolMapping);
        }
        // Ports published to the host lead to a listener advertised as localhost on that port.
        for (JsonNode published : kafka.path("ports")) {
            String[] hostAndContainer = published.asText().split(":");
            int containerPort = Integer.parseInt(hostAndContainer[hostAndContainer.length - 1]);
            assertTrue(env.get("KAFKA_ADVERTISED_LISTENERS").contains("localhost:" + hostAndContainer[0]),
                    "host port " + published.asText() + " is advertised as localhost");
            assertTrue(listenerPorts.containsValue(containerPort), published.asText());
        }
    }

    @Test
    void composeServesTheMountedModelAgainstTheKafkaService() {
        JsonNode services = DeployFiles.compose().path("services");
        JsonNode laminar = services.path("laminar");
        Path context = ROOT.resolve("deploy").resolve(laminar.path("build").path("context").asText()).normalize();
        assertEquals(ROOT, context, "the build context is the repository root");
        assertEquals(DOCKERFILE, context.resolve(laminar.path("build").path("dockerfile").asText()));
        assertEquals("service_healthy", laminar.path("depends_on").path("kafka").path("condition").asText());

        List<String> command = new ArrayList<>();
        laminar.path("command").forEach(n -> command.add(n.asText()));
        assertEquals("serve", command.getFirst());
        String model = command.get(command.indexOf("-m") + 1);
        String bootstrap = command.get(command.indexOf("--bootstrap-servers") + 1);

        JsonNode modelMount = null;
        for (JsonNode volume : laminar.path("volumes")) {
            if (volume.path("target").asText().equals(model)) {
                modelMount = volume;
            }
        }
        assertTrue(modelMount != null, "a volume is mounted at " + model);
        assertEquals("bind", modelMount.path("type").asText());
        assertTrue(modelMount.path("source").asText().startsWith("${LAMINAR_MODEL"), "the host path is a variable");
        assertTrue(modelMount.path("read_only").asBoolean());

        String http = command.get(command.indexOf("--http") + 1);
        assertTrue(http.startsWith("0.0.0.0:"), "serve opens HTTP beyond its container: " + http);
        String port = http.substring("0.0.0.0:".length());
        List<String> healthcheck = new ArrayList<>();
        laminar.path("healthcheck").path("test").forEach(n -> healthcheck.add(n.asText()));
        assertEquals(List.of("status", "--http", "127.0.0.1:" + port), healthcheck.subList(4, healthcheck.size()),
                "the healthcheck asks laminar status: " + healthcheck);

        assertTrue(environment(laminar).get("LAMINAR_HTTP_API_KEYS").startsWith("${LAMINAR_HTTP_API_KEYS:?"),
                "the OpenAI door beyond the container's loopback requires API keys from the caller");

        String advertised = environment(services.path("kafka")).get("KAFKA_ADVERTISED_LISTENERS");
        assertTrue(Arrays.stream(advertised.split(",")).anyMatch(l -> l.endsWith("://" + bootstrap)),
                bootstrap + " is one of the broker's advertised listeners: " + advertised);
    }

    @Test
    void theServeCommandAcceptsTheComposeArguments() {
        CommandLine serve = Main.commandLine().getSubcommands().get("serve");
        assumeTrue(serve != null, "no `serve` command in this build yet; the compose arguments are checked once it exists");
        List<String> command = new ArrayList<>();
        DeployFiles.compose().path("services").path("laminar").path("command").forEach(n -> command.add(n.asText()));
        // Parsed from the top, as `laminar serve ...` is: a subcommand alone lacks its parent's state.
        Main.commandLine().parseArgs(command.toArray(String[]::new));
    }

    @Test
    void docsExplainTheDeployFolder() {
        String docs = DeployFiles.read(ROOT.resolve("docs/deploy.md"));
        for (String mention : List.of("deploy/Dockerfile", "deploy/docker-compose.yml", "LAMINAR_MODEL", "--kafka-config",
                "localhost:9094")) {
            assertTrue(docs.contains(mention), "docs/deploy.md mentions " + mention);
        }
        assertTrue(Files.exists(ROOT.resolve("deploy/Dockerfile.dockerignore")));
    }

    private static Instruction last(List<Instruction> instructions, String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).reduce((a, b) -> b).orElseThrow(
                () -> new AssertionError("no " + keyword + " in " + DOCKERFILE));
    }

    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new TreeMap<>();
        service.path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    /** "PLAINTEXT://:9092,CONTROLLER://:9093" as listener name to port. */
    private static Map<String, Integer> listeners(String listeners) {
        Map<String, Integer> ports = new TreeMap<>();
        for (String listener : listeners.split(",")) {
            ports.put(listener.substring(0, listener.indexOf("://")), port(listener));
        }
        return ports;
    }

    private static int port(String listener) {
        return Integer.parseInt(listener.substring(listener.lastIndexOf(':') + 1));
    }
}
