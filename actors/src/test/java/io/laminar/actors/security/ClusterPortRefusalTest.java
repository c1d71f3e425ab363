package io.laminar.actors.security;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.serialization.JSerializer;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What reaches a member's cluster port without being a member: raw bytes and a Java-serialized
 * object over plain TCP and over TLS (with and without a certificate) are cut off, and a peer with a
 * certificate that sends a Java-serialized or unknown message has it dropped. Each time the member
 * stays alone in its cluster and keeps serving.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterPortRefusalTest {
    /** How long a refused connection may stay open: Akka closes them at once. */
    private static final int CLOSE_WITHIN_MS = 5_000;

    private Path tmp;
    private TestCertificates ca;
    private int[] prompt;
    private int[] expected;
    private PipelineHost tlsHost;
    private PipelineHost plainHost;

    @BeforeAll
    void startAMemberOverTlsAndOneOverPlainTcp(@TempDir Path dir) throws Exception {
        tmp = dir;
        Path model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(tmp.resolve("models"));
        prompt = Tokenizers.fromGguf(model).encode("hi j klm", true, true);
        ca = TestCertificates.authority("laminar-test-ca");
        HostSettings whole = HostSettings.local(model, List.of(new LayerRange(0, 2)), 1).withBatch(8, 2, 64);
        tlsHost = PipelineHost.start(whole.withSecurity(ClusterSecurity.tls(ca.member(tmp.resolve("host"), "host"))));
        plainHost = PipelineHost.start(whole);
        for (PipelineHost h : List.of(tlsHost, plainHost)) {
            new PipelineClient(h.system(), h.scheduler()).awaitReady(Duration.ofSeconds(30));
        }
        expected = serve(plainHost, "reference");
    }

    @AfterAll
    void stop() {
        for (PipelineHost h : new PipelineHost[] {tlsHost, plainHost}) {
            if (h != null) {
                h.close();
            }
        }
    }

    /** After each intrusion: still a cluster of one, still serving. */
    @AfterEach
    void bothMembersAreAloneAndServe() throws Exception {
        for (PipelineHost h : List.of(tlsHost, plainHost)) {
            assertEquals(1, h.clusterMembers().size(), h.clusterMembers().toString());
            assertArrayEquals(expected, serve(h, "after"));
        }
    }

    /** On the TLS port the handshake fails; on a plain port artery's framing finds no magic header. */
    @Test
    void bytesOverPlainTcpAreCutOff() throws Exception {
        for (PipelineHost h : List.of(tlsHost, plainHost)) {
            for (byte[] payload : List.of(garbage(), javaSerialized())) {
                try (Socket s = new Socket("127.0.0.1", h.port())) {
                    assertClosedAfter(s, payload);
                }
            }
        }
        try (Socket s = new Socket("127.0.0.1", tlsHost.port())) {
            assertClosedAfter(s, akkaMagicThenGarbage());
        }
    }

    /**
     * Past the magic header, artery reads frames: one it cannot decode is dropped (and logged), and
     * the connection stays open, which is harmless on a port only members reach.
     */
    @Test
    void aFrameOfNoiseAfterTheMagicHeaderIsDropped() throws Exception {
        try (Socket s = new Socket("127.0.0.1", plainHost.port())) {
            s.getOutputStream().write(akkaMagicThenGarbage());
            s.getOutputStream().flush();
            Thread.sleep(500);
        }
    }

    @Test
    void aTlsClientWithoutCertificateIsCutOff() throws Exception {
        SSLContext ctx = SSLContext.getInstance(ClusterTls.PROTOCOL);
        ctx.init(null, trustManagers(ca.trustStore(tmp.resolve("no-cert"))), null);
        for (byte[] payload : List.of(garbage(), javaSerialized())) {
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", tlsHost.port())) {
                assertClosedAfter(s, payload);
            }
        }
    }

    /** A peer the CA vouches for that does not speak Akka's protocol: artery's framing cuts it off. */
    @Test
    void bytesFromAPeerWithACertificateAreCutOff() throws Exception {
        ClusterTls peer = ca.member(tmp.resolve("peer"), "peer");
        SSLContext ctx = SSLContext.getInstance(ClusterTls.PROTOCOL);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(peer.keyStore()), TestCertificates.PASSWORD.toCharArray());
        ctx.init(kmf.getKeyManagers(), trustManagers(peer.trustStore()), null);
        for (byte[] payload : List.of(garbage(), javaSerialized())) {
            try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", tlsHost.port())) {
                s.startHandshake();
                assertClosedAfter(s, payload);
            }
        }
    }

    /**
     * A peer with a certificate that speaks Akka but sends a Java-serialized message and one of a
     * serializer the member does not have: both are dropped; a string sent after them arrives, so the
     * drop is the member's doing, not a lost connection.
     */
    @Test
    void javaSerializedAndUnknownMessagesOfAPeerAreDropped() throws Exception {
        ConcurrentLinkedQueue<Object> received = new ConcurrentLinkedQueue<>();
        ActorRef<Object> probe = tlsHost.system().systemActorOf(Behaviors.receiveMessage(m -> {
            received.add(m);
            return Behaviors.same();
        }), "probe", Props.empty());
        ClusterTls peer = ca.member(tmp.resolve("rogue"), "rogue");
        akka.actor.ActorSystem rogue = akka.actor.ActorSystem.create("rogue", rogueConfig(peer));
        try {
            String path = probe.path().toStringWithAddress(tlsHost.system().address());
            akka.actor.ActorRef target = rogue.actorSelection(path).resolveOne(Duration.ofSeconds(15))
                    .toCompletableFuture().get(20, TimeUnit.SECONDS);
            target.tell(new Smuggled("java-serialized"), akka.actor.ActorRef.noSender());
            target.tell(new Unknown(), akka.actor.ActorRef.noSender());
            target.tell("marker", akka.actor.ActorRef.noSender());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!received.contains("marker") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // One connection, in order: whatever came before the marker has been dealt with.
            assertEquals(List.of("marker"), List.copyOf(received));
        } finally {
            rogue.terminate();
            rogue.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** A message class the rogue sends with Java serialization, which members refuse. */
    public record Smuggled(String text) implements Serializable {
    }

    /** A message class the rogue sends with a serializer members do not know. */
    public record Unknown() {
    }

    /** The rogue's serializer for {@link Unknown}, with an id no member has. */
    public static final class UnknownSerializer extends JSerializer {
        @Override
        public int identifier() {
            return 730_001;
        }

        @Override
        public boolean includeManifest() {
            return false;
        }

        @Override
        public byte[] toBinary(Object o) {
            return "unknown".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
            return new Unknown();
        }
    }

    private static Config rogueConfig(ClusterTls tls) {
        Map<String, Object> s = new HashMap<>();
        s.put("akka.actor.provider", "remote");
        s.put("akka.remote.artery.canonical.hostname", "127.0.0.1");
        s.put("akka.remote.artery.canonical.port", 0);
        s.put("akka.actor.allow-java-serialization", "on");
        s.put("akka.actor.warn-about-java-serializer-usage", "off");
        s.put("akka.actor.serializers.unknown", UnknownSerializer.class.getName());
        s.put("akka.actor.serialization-bindings.\"" + Smuggled.class.getName() + "\"", "java");
        s.put("akka.actor.serialization-bindings.\"" + Unknown.class.getName() + "\"", "unknown");
        s.put("akka.loggers", List.of("akka.event.slf4j.Slf4jLogger"));
        s.put("akka.logging-filter", "akka.event.slf4j.Slf4jLoggingFilter");
        return ConfigFactory.parseMap(s).withFallback(tls.akkaConfig()).withFallback(ConfigFactory.load());
    }

    /**
     * Writes {@code payload} and waits for the member to close the connection; what it answers
     * before closing (a TLS alert) is read and ignored.
     */
    private static void assertClosedAfter(Socket s, byte[] payload) throws IOException {
        s.setSoTimeout(CLOSE_WITHIN_MS);
        try {
            OutputStream out = s.getOutputStream();
            out.write(payload);
            out.flush();
        } catch (IOException e) {
            return; // refused before the payload was through
        }
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // Drain what comes back until the member closes.
            }
        } catch (SocketTimeoutException e) {
            fail("the connection to port " + s.getPort() + " is still open " + CLOSE_WITHIN_MS + " ms after the payload");
        } catch (IOException e) {
            // Reset, or a TLS alert: closed.
        }
    }

    private static byte[] garbage() {
        return "GET / HTTP/1.1\r\nHost: laminar\r\n\r\n\u0000\u0001\u0002garbage".getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] javaSerialized() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Smuggled("hello"));
        }
        return bytes.toByteArray();
    }

    /** Artery's magic and a stream id (control), then a frame of noise: past the first check, not the second. */
    private static byte[] akkaMagicThenGarbage() {
        byte[] b = new byte[5 + 4 + 64];
        System.arraycopy("AKKA".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 4);
        b[4] = 1;
        b[5] = 64; // frame length, little endian
        for (int i = 9; i < b.length; i++) {
            b[i] = (byte) (i * 31);
        }
        return b;
    }

    private static javax.net.ssl.TrustManager[] trustManagers(Path trustStore) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trustStore));
        return tmf.getTrustManagers();
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        return ks;
    }

    private int[] serve(PipelineHost h, String id) throws Exception {
        EventCollector c = new EventCollector(h.system());
        h.scheduler().tell(new PipelineScheduler.Submit(id, prompt, 10, SamplingParams.greedy(), c.ref));
        SequenceEvent end = c.end.get(30, TimeUnit.SECONDS);
        assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
        return c.tokens();
    }
}
