package io.laminar.app.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A non-Java client (kcat, on librdkafka) against the embedded broker: what a user's producer in
 * another language sees. Skipped when kcat is not installed ({@code apt-get install -y kcat}).
 */
@ExtendWith(SharedKafka.class)
class KcatRoundTripTest {
    private static final Duration KCAT_TIMEOUT = Duration.ofSeconds(30);

    private static String kcat;

    @BeforeAll
    static void findKcat() {
        kcat = findOnPath("kcat");
        if (kcat == null) {
            kcat = findOnPath("kafkacat");
        }
        assumeTrue(kcat != null, "kcat is not installed (apt-get install -y kcat); skipping the kcat round trip");
    }

    @Test
    void kcatProducesAndConsumes(EmbeddedKafka kafka) throws Exception {
        String topic = ensureTopic(kafka, "kcat.roundtrip");
        List<String> lines = List.of("req-1:Hello", "req-2:Grüße, 世界", "req-1:{\"prompt\":\"a:b\"}");

        Result produced = run(List.of(kcat, "-b", kafka.bootstrapServers(), "-t", topic, "-P", "-K", ":",
                "-X", "enable.idempotence=true", "-X", "acks=all"), String.join("\n", lines) + "\n");
        assertEquals(0, produced.exit(), "kcat -P failed: " + produced.output());

        Result consumed = run(List.of(kcat, "-b", kafka.bootstrapServers(), "-t", topic, "-C", "-o", "beginning", "-e",
                "-q", "-f", "%k:%s\\n"), "");
        assertEquals(0, consumed.exit(), "kcat -C failed: " + consumed.output());
        assertEquals(lines, consumed.output().lines().toList());
    }

    @Test
    void javaConsumerReadsWhatKcatProduced(EmbeddedKafka kafka) throws Exception {
        String topic = ensureTopic(kafka, "kcat.to-java");
        Result produced = run(List.of(kcat, "-b", kafka.bootstrapServers(), "-t", topic, "-P", "-K", "\t"),
                "a\tone\nb\ttwo\n");
        assertEquals(0, produced.exit(), "kcat -P failed: " + produced.output());

        KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
        List<String> seen = TopicRecords.first(settings, "kcat-test", topic, 2, Duration.ofSeconds(20),
                r -> r.key() + "=" + r.value());
        assertEquals(List.of("a=one", "b=two"), seen);
    }

    private static String ensureTopic(EmbeddedKafka kafka, String name) {
        KafkaSettings settings = KafkaSettings.defaults().withBootstrapServers(kafka.bootstrapServers());
        try (Admin admin = Admin.create(settings.adminConfig())) {
            TopicSetup.ensure(admin, List.of(new TopicSetup.Topic(name, 1, (short) -1)), Duration.ofSeconds(20));
        }
        return name;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(KCAT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, "timed out: " + new String(out, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
