package io.laminar.actors.security;

import io.laminar.actors.EventCollector;
import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SoloRuns;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import io.laminar.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster over mutual TLS on loopback (TLS is on because stores are given): two members with
 * certificates from one CA form it and serve; a member without a certificate, or with one from
 * another CA, never joins, and the pipeline serves while it tries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MutualTlsMembershipTest {
    /** How long an intruder gets to try: a member with a valid certificate joins in well under a second. */
    private static final Duration INTRUSION_WINDOW = Duration.ofSeconds(3);

    private Path tmp;
    private Path model;
    private int[] prompt;
    private int[] expected;
    private TestCertificates ca;
    private HostSettings stageSettings;
    private PipelineHost scheduler;
    private PipelineHost stage;

    @BeforeAll
    void startTwoMembersOfOneCa(@TempDir Path dir) throws Exception {
        tmp = dir;
        model = new SyntheticModelWriter(ModelShape.TINY).weightType(GgmlType.Q8_0).writeCached(tmp.resolve("models"));
        prompt = Tokenizers.fromGguf(model).encode("ab cd efg", true, true);
        expected = SoloRuns.greedy(model, new int[][] {prompt}, new int[] {12}, 64)[0];
        ca = TestCertificates.authority("laminar-test-ca");
        HostSettings first = HostSettings.local(model, List.of(new LayerRange(0, 1)), 1).withBatch(8, 2, 64)
                .withSecurity(ClusterSecurity.tls(ca.member(tmp.resolve("a"), "member-a")));
        scheduler = PipelineHost.start(first);
        stageSettings = first.hosting(List.of(new LayerRange(1, 2)), false)
                .withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + scheduler.port()));
        stage = PipelineHost.start(stageSettings.withSecurity(ClusterSecurity.tls(ca.member(tmp.resolve("b"), "member-b"))));
        new PipelineClient(scheduler.system(), scheduler.scheduler()).awaitReady(Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        if (stage != null) {
            stage.close();
        }
        if (scheduler != null) {
            scheduler.close();
        }
    }

    @Test
    void membersOfOneCaFormTheClusterAndServe() throws Exception {
        assertEquals(2, scheduler.clusterMembers().size(), scheduler.clusterMembers().toString());
        assertArrayEquals(expected, serve("served"));
    }

    @Test
    void aMemberWithoutACertificateCannotJoin() throws Exception {
        // Plain TCP: what every member spoke before, and what a node given no stores speaks on loopback.
        assertRefused(stageSettings.withSecurity(ClusterSecurity.DEFAULT), "plain");
    }

    @Test
    void aMemberWithACertificateOfAnotherCaCannotJoin() throws Exception {
        TestCertificates other = TestCertificates.authority("other-ca");
        assertRefused(stageSettings.withSecurity(ClusterSecurity.tls(other.member(tmp.resolve("other"), "intruder"))),
                "other-ca");
    }

    /**
     * A member that trusts the cluster's CA but shows a certificate of its own CA: it could check the
     * cluster's members, they cannot check it.
     */
    @Test
    void aMemberTrustingTheCaButSigningItselfCannotJoin() throws Exception {
        TestCertificates own = TestCertificates.authority("self-made");
        Path dir = tmp.resolve("self-made");
        ClusterTls tls = new ClusterTls(own.memberKeyStore(dir, "intruder"), TestCertificates.PASSWORD,
                ca.trustStore(dir), TestCertificates.PASSWORD, false);
        assertRefused(stageSettings.withSecurity(ClusterSecurity.tls(tls)), "self-made");
    }

    /**
     * Starts {@code intruder} (a stage for layers 1-2, seeded with the scheduler's member) and, while it
     * tries to join, serves a request; then checks that neither side has the other as a member.
     */
    private void assertRefused(HostSettings intruder, String what) throws Exception {
        List<String> before = memberAddresses();
        try (PipelineHost h = PipelineHost.start(intruder)) {
            long deadline = System.nanoTime() + INTRUSION_WINDOW.toNanos();
            assertArrayEquals(expected, serve("while-" + what));
            while (System.nanoTime() < deadline) {
                assertEquals(before, memberAddresses(), what + ": the member set changed");
                Thread.sleep(100);
            }
            assertTrue(h.clusterMembers().stream().noneMatch(m -> m.contains(":" + scheduler.port() + " ")),
                    what + " sees the cluster: " + h.clusterMembers());
        }
        assertEquals(before, memberAddresses());
        assertArrayEquals(expected, serve("after-" + what));
    }

    /** The members' addresses as the scheduler sees them; their status may still move from Joining to Up. */
    private List<String> memberAddresses() {
        return scheduler.clusterMembers().stream().map(m -> m.substring(0, m.indexOf(' '))).sorted().toList();
    }

    private int[] serve(String id) throws Exception {
        EventCollector c = new EventCollector(scheduler.system());
        scheduler.scheduler().tell(new PipelineScheduler.Submit(id, prompt, 12, SamplingParams.greedy(), c.ref));
        SequenceEvent end = c.end.get(30, TimeUnit.SECONDS);
        assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
        return c.tokens();
    }
}
