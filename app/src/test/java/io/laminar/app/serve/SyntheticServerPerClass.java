package io.laminar.app.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** One server of a synthetic model (KafkaServing.startSynthetic) for all the tests of a class. */
abstract class SyntheticServerPerClass {
    @TempDir
    static Path models;
    static LaminarServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = KafkaServing.startSynthetic(models, 16, "avro");
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }
}
