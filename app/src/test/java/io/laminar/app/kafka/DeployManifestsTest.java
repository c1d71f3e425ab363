package io.laminar.app.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import io.laminar.actors.security.ClusterTls;
import io.laminar.app.Main;
import io.laminar.app.http.HealthRoute;
import io.laminar.app.http.HttpAddress;
import io.laminar.app.http.MetricsRoute;
import io.laminar.app.http.openai.ApiKeys;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The multi-node deployment files (deploy/docker-compose.multinode.yml and deploy/k8s/) are not
 * run here (no container engine, no Kubernetes), so their wiring is checked: every Laminar
 * command line parses as the real `serve` / `node` command, stages seed at the address serve
 * advertises, declared ports are the ones given, services select the pods, the model mount is the
 * `-m` path, probes ask the declared HTTP port's health routes, Kafka is wired, memory limits hold the JVM's heap and
 * the stages' budgets, the layers serve hosts leave the documented models' other layers to
 * the stages, and every member on a non-loopback address speaks mutual TLS with stores that
 * deploy/make-cluster-certs.sh makes, mounted read-only, their password from the environment.
 */
class DeployManifestsTest {
    private static final Path ROOT = DeployFiles.repositoryRoot();
    private static final Path COMPOSE = ROOT.resolve("deploy/docker-compose.multinode.yml");
    private static final Path K8S = ROOT.resolve("deploy/k8s");
    private static final Path CERT_SCRIPT = ROOT.resolve("deploy/make-cluster-certs.sh");
    /** The variable members read the key store's password from, and the script gives every store. */
    private static final String PASSWORD_ENV = "LAMINAR_CLUSTER_KEY_STORE_PASSWORD";
    private static final String TRUST_PASSWORD_ENV = "LAMINAR_CLUSTER_TRUST_STORE_PASSWORD";
    /** The trust store the script writes beside the members' stores. */
    private static final String TRUST_STORE_FILE = "cluster-trust.p12";
    /** What the JVM needs beyond its heap and the mapped weights: metaspace, code, thread stacks, I/O buffers. */
    private static final long JVM_OVERHEAD_MIB = 512;

    // ---- compose ----------------------------------------------------------------------------

    @Test
    void composeRunsTheSameBrokerAsTheSingleNodeFile() {
        assertEquals(DeployFiles.compose().path("services").path("kafka"), compose().path("services").path("kafka"));
    }

    @Test
    void composeStagesJoinServeUnderTheNameItAdvertises() {
        JsonNode services = compose().path("services");
        JsonNode serveService = services.path("serve");
        ParseResult serve = composeMember(serveService, "serve");
        String serveHost = serve.matchedOptionValue("--host", "");
        int servePort = serve.matchedOptionValue("--port", 0);
        assertEquals("serve", serveHost, "serve advertises its service name, which the others resolve");
        assertEquals(serveHost, serveService.path("hostname").asText());
        assertTrue(servePort > 0, "a fixed cluster port, for the stages' seed");
        assertTrue(exposed(serveService).contains(servePort), "serve exposes --port " + servePort);

        List<String> stages = services.properties().stream().map(Map.Entry::getKey)
                .filter(name -> name.startsWith("stage")).toList();
        assertEquals(2, stages.size(), "two stage nodes: " + stages);
        for (String name : stages) {
            JsonNode service = services.path(name);
            ParseResult stage = composeMember(service, name);
            assertEquals(List.of("stage"), stage.matchedOptionValue("--role", List.of()).stream().map(String::valueOf).toList());
            assertEquals(name, stage.matchedOptionValue("--host", ""), name + " advertises its service name");
            assertEquals(name, service.path("hostname").asText());
            assertTrue(exposed(service).contains(stage.matchedOptionValue("--port", 0)), name + " exposes its --port");
            assertEquals(List.of(serveHost + ":" + servePort), stage.matchedOptionValue("--seed-nodes", List.of()),
                    name + " seeds at serve");
            JsonNode dependsOn = service.path("depends_on"); // a list, or a map with conditions
            assertTrue(dependsOn.has("serve") || dependsOn.toString().contains("\"serve\""), name + " starts after serve");
            assertBudgetPlaced(stage, name);
            assertTrue(stage.matchedOptionValue("--memory-budget-mb", 0L) < heapMib(composeJavaOptions(service)),
                    name + ": the heap holds the budget's KV cache");
        }
    }

    @Test
    void composeMembersMapTheSameModelReadOnlyAtTheirDashMPath() {
        JsonNode services = compose().path("services");
        JsonNode first = null;
        for (String name : laminarServices()) {
            JsonNode service = services.path(name);
            String model = composeMember(service, name).matchedOptionValue("-m", "");
            JsonNode mount = null;
            for (JsonNode volume : service.path("volumes")) {
                if (volume.path("target").asText().equals(model)) {
                    mount = volume;
                }
            }
            assertNotNull(mount, name + " mounts a volume at " + model);
            assertTrue(mount.path("read_only").asBoolean(), name + " mounts the model read-only");
            assertTrue(mount.path("source").asText().startsWith("${LAMINAR_MODEL"), "the host path is a variable");
            if (first != null) {
                assertEquals(first, mount, name + " mounts the same model as the others");
            }
            first = mount;
            // One image for every member, built by whichever service compose starts first.
            assertEquals(DeployFiles.compose().path("services").path("laminar").path("build"), service.path("build"));
            assertEquals(DeployFiles.compose().path("services").path("laminar").path("image"), service.path("image"));
        }
    }

    @Test
    void composeMembersSpeakMutualTlsWithTheirOwnReadOnlyStores() {
        JsonNode services = compose().path("services");
        Set<String> keyStores = new HashSet<>();
        for (String name : laminarServices()) {
            JsonNode service = services.path(name);
            ParseResult member = composeMember(service, name);
            assertSpeaksTls(member, name);
            // The script writes NAME.p12 per member named, and cluster-trust.p12 (certScriptMakesTheStoresComposeReads).
            String keyStore = member.matchedOptionValue("--cluster-key-store", Path.of("")).toString();
            String trustStore = member.matchedOptionValue("--cluster-trust-store", Path.of("")).toString();
            assertEquals(name + ".p12", Path.of(keyStore).getFileName().toString(), name + "'s key store is its own");
            assertEquals(TRUST_STORE_FILE, Path.of(trustStore).getFileName().toString());
            assertTrue(keyStores.add(keyStore), name + ": one key pair per member");
            for (String store : List.of(keyStore, trustStore)) {
                JsonNode mount = composeMountAbove(service, store);
                assertNotNull(mount, name + " mounts a volume at or above " + store);
                assertEquals("bind", mount.path("type").asText(), name + ": " + store + " is a bind mount");
                assertTrue(mount.path("read_only").asBoolean(), name + " mounts " + store + " read-only");
                String hostPath = mount.path("source").asText() + store.substring(mount.path("target").asText().length());
                assertEquals(COMPOSE_CERTS + "/" + Path.of(store).getFileName(), hostPath,
                        name + ": " + store + " is the script's file of that name in the certificates folder");
            }
            JsonNode password = service.path("environment").path(PASSWORD_ENV);
            assertTrue(password.asText().matches("\\$\\{" + PASSWORD_ENV + ":\\?[^}]+}"),
                    name + " requires " + PASSWORD_ENV + " from the caller's environment: " + password);
            // Members fall back to the key store's password for the trust store; the script gives both the same.
            assertTrue(service.path("environment").path(TRUST_PASSWORD_ENV).isMissingNode(), name + " sets no other password");
        }
        assertFalse(DeployFiles.read(COMPOSE).contains("--insecure-cluster"), "no member turns TLS off");
    }

    @Test
    void composeServeReadsTheBrokerAndHostsTheFirstLayers() {
        JsonNode services = compose().path("services");
        ParseResult serve = composeMember(services.path("serve"), "serve");
        String bootstrap = serve.matchedOptionValue("--bootstrap-servers", "");
        String advertised = services.path("kafka").path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        assertTrue(List.of(advertised.split(",")).stream().anyMatch(l -> l.endsWith("://" + bootstrap)),
                bootstrap + " is one of the broker's advertised listeners: " + advertised);
        assertEquals("service_healthy", services.path("serve").path("depends_on").path("kafka").path("condition").asText());
        assertEquals(serveLayersInDocs(), serveLayers(serve), "the documented default of LAMINAR_SERVE_LAYERS");
    }

    // ---- Kubernetes -------------------------------------------------------------------------

    @Test
    void kustomizationListsEveryManifestAndNoneHasANamespace() throws Exception {
        JsonNode kustomization = DeployFiles.yaml(K8S.resolve("kustomization.yaml"));
        List<String> listed = new ArrayList<>();
        kustomization.path("resources").forEach(r -> listed.add(r.asText()));
        List<String> present;
        try (Stream<Path> files = Files.list(K8S)) {
            present = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
        }
        assertEquals(present, listed.stream().sorted().toList(), "kustomization.yaml lists every manifest");
        assertFalse(kustomization.has("namespace"), "the namespace is the user's choice");
        for (JsonNode object : k8sObjects()) {
            assertFalse(object.path("metadata").has("namespace"), name(object) + " names no namespace");
        }
        // The image the StatefulSets run is the one kustomize renames.
        String image = kustomization.path("images").get(0).path("name").asText();
        for (JsonNode set : ofKind("StatefulSet").values()) {
            assertTrue(container(set).path("image").asText().startsWith(image + ":"), name(set) + " runs " + image);
        }
    }

    @Test
    void headlessServicesSelectTheirStatefulSetsPods() {
        Map<String, JsonNode> services = ofKind("Service");
        Map<String, JsonNode> sets = ofKind("StatefulSet");
        assertEquals(java.util.Set.of("laminar-serve", "laminar-stage"), sets.keySet());
        for (JsonNode set : sets.values()) {
            JsonNode service = services.get(set.path("spec").path("serviceName").asText());
            assertNotNull(service, name(set) + "'s serviceName is a Service here");
            assertEquals("None", service.path("spec").path("clusterIP").asText(), name(service) + " is headless");
            // Members bind the name they advertise at start, before any readiness.
            assertTrue(service.path("spec").path("publishNotReadyAddresses").asBoolean(), name(service));
            JsonNode podLabels = set.path("spec").path("template").path("metadata").path("labels");
            assertEquals(set.path("spec").path("selector").path("matchLabels"), podLabels, name(set) + " selects its pods");
            service.path("spec").path("selector").properties().forEach(e -> assertEquals(e.getValue(),
                    podLabels.path(e.getKey()), name(service) + " selects " + name(set) + "'s pods by " + e.getKey()));
            // The selectors of the two services tell serve and stage pods apart.
            for (JsonNode other : sets.values()) {
                if (other != set) {
                    JsonNode otherLabels = other.path("spec").path("template").path("metadata").path("labels");
                    assertFalse(service.path("spec").path("selector").properties().stream()
                            .allMatch(e -> e.getValue().equals(otherLabels.path(e.getKey()))),
                            name(service) + " does not select " + name(other) + "'s pods");
                }
            }
            List<String> portNames = new ArrayList<>();
            container(set).path("ports").forEach(p -> portNames.add(p.path("name").asText()));
            for (JsonNode port : service.path("spec").path("ports")) {
                assertTrue(portNames.contains(port.path("targetPort").asText()), name(service) + " targets a port of " + name(set));
            }
        }
    }

    @Test
    void serveIsOneStablyNamedSeedAndStagesJoinIt() {
        JsonNode serveSet = ofKind("StatefulSet").get("laminar-serve");
        assertEquals(1, serveSet.path("spec").path("replicas").asInt(), "one serve: it starts its own cluster");
        ParseResult serve = parse(k8sArgs(serveSet), "serve");
        String serviceName = serveSet.path("spec").path("serviceName").asText();
        String stableName = name(serveSet) + "-0." + serviceName;
        String serveHost = serve.matchedOptionValue("--host", "");
        assertEquals(stableName, serveHost, "serve advertises its pod's DNS name in the headless service");
        int servePort = serve.matchedOptionValue("--port", 0);
        assertEquals(servePort, clusterPort(serveSet), "serve's --port is its declared container port");

        JsonNode stageSet = ofKind("StatefulSet").get("laminar-stage");
        assertTrue(stageSet.path("spec").path("replicas").asInt() >= 2, "several stage pods");
        ParseResult stage = parse(k8sArgs(stageSet), "node");
        assertEquals(List.of(stableName + ":" + servePort), stage.matchedOptionValue("--seed-nodes", List.of()));
        assertEquals(POD_IP, stage.matchedOptionValue("--host", ""), "a stage advertises its pod IP");
        assertEquals(stage.matchedOptionValue("--port", 0).intValue(), clusterPort(stageSet));
        assertBudgetPlaced(stage, name(stageSet));
        assertEquals(serveLayersInDocs(), serveLayers(serve), "serve hosts the documented layers");
    }

    @Test
    void podsSpeakMutualTlsWithStoresFromOneSecret() {
        Set<String> keyStores = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        Set<String> trustStores = new HashSet<>();
        for (JsonNode set : ofKind("StatefulSet").values()) {
            ParseResult member = parse(k8sArgs(set), command(set));
            assertSpeaksTls(member, name(set));
            SecretItem keyStore = secretItem(set, member.matchedOptionValue("--cluster-key-store", Path.of("")).toString());
            SecretItem trustStore = secretItem(set, member.matchedOptionValue("--cluster-trust-store", Path.of("")).toString());
            assertTrue(keyStores.add(keyStore.key()), name(set) + " has a key pair of its own, not another set's");
            trustStores.add(trustStore.key());
            secrets.add(keyStore.secret());
            secrets.add(trustStore.secret());
            // Only the member's two stores: no other member's key, and the password not as a file.
            assertEquals(2, keyStore.volume().path("secret").path("items").size(),
                    name(set) + " projects only its key store and the trust store: " + keyStore.volume());

            JsonNode password = envVar(container(set), PASSWORD_ENV).path("valueFrom").path("secretKeyRef");
            assertEquals(keyStore.secret(), password.path("name").asText(), name(set) + " reads the password from the Secret");
            assertFalse(password.path("key").asText().isEmpty(), name(set));
            assertFalse(password.path("optional").asBoolean(), name(set) + ": without the password the pod must not start");
            assertFalse(envNames(container(set)).contains(TRUST_PASSWORD_ENV), name(set) + ": one password opens both stores");
            if (member.matchedOptionValue("--host", "").equals(POD_IP)) {
                // No certificate made before the pod exists can name its IP.
                assertFalse(member.hasMatchedOption("--cluster-verify-hostname"),
                        name(set) + " advertises its pod IP: hostname verification would refuse it");
            }
        }
        assertEquals(1, secrets.size(), "one Secret holds the cluster's stores: " + secrets);
        assertEquals(1, trustStores.size(), "every member trusts the same CA: " + trustStores);
        for (String file : List.of("serve.yaml", "stage.yaml", "kustomization.yaml")) {
            assertFalse(DeployFiles.read(K8S.resolve(file)).contains("--insecure-cluster"), file + " keeps cluster TLS on");
        }
    }

    @Test
    void serveReadsKafkaFromTheConfigMap() {
        JsonNode serveSet = ofKind("StatefulSet").get("laminar-serve");
        JsonNode env = envVar(container(serveSet), "KAFKA_BOOTSTRAP");
        JsonNode ref = env.path("valueFrom").path("configMapKeyRef");
        JsonNode configMap = ofKind("ConfigMap").get(ref.path("name").asText());
        assertNotNull(configMap, "KAFKA_BOOTSTRAP comes from a ConfigMap here");
        String bootstrap = configMap.path("data").path(ref.path("key").asText()).asText();
        assertTrue(bootstrap.matches("[\\w.-]+:\\d+(,[\\w.-]+:\\d+)*"), "HOST:PORT,...: " + bootstrap);
        assertEquals(bootstrap, parse(k8sArgs(serveSet), "serve").matchedOptionValue("--bootstrap-servers", ""));
    }

    @Test
    void podsMountTheModelClaimReadOnlyAtTheirDashMPath() {
        Map<String, JsonNode> claims = ofKind("PersistentVolumeClaim");
        for (JsonNode set : ofKind("StatefulSet").values()) {
            String model = parse(k8sArgs(set), command(set)).matchedOptionValue("-m", "");
            assertEquals(composeModelPath(), model, name(set) + " reads the model where compose mounts it");
            JsonNode volume = readOnlyVolumeAbove(set, model).volume();
            JsonNode claim = volume.path("persistentVolumeClaim");
            assertTrue(claim.path("readOnly").asBoolean());
            JsonNode pvc = claims.get(claim.path("claimName").asText());
            assertNotNull(pvc, "the claim " + claim.path("claimName").asText() + " is defined here");
            List<String> modes = new ArrayList<>();
            pvc.path("spec").path("accessModes").forEach(m -> modes.add(m.asText()));
            assertEquals(List.of("ReadOnlyMany"), modes, "pods on several machines read the model");
        }
    }

    @Test
    void probesAskTheHttpPortAndMemoryHoldsTheJvm() {
        for (JsonNode set : ofKind("StatefulSet").values()) {
            JsonNode container = container(set);
            HttpAddress http = httpAddress(parse(k8sArgs(set), command(set)), name(set));
            assertEquals("0.0.0.0", http.host(), name(set) + " opens HTTP on every interface: the kubelet probes the pod IP");
            List<String> httpPort = new ArrayList<>();
            container.path("ports").forEach(p -> {
                if (p.path("containerPort").asInt() == http.port()) {
                    httpPort.add(p.path("name").asText());
                    httpPort.add(p.path("containerPort").asText());
                }
            });
            assertFalse(httpPort.isEmpty(), name(set) + " declares its --http port " + http.port());
            Map<String, String> paths = Map.of("startupProbe", HealthRoute.LIVE_PATH, "livenessProbe", HealthRoute.LIVE_PATH,
                    "readinessProbe", HealthRoute.READY_PATH);
            paths.forEach((probe, path) -> {
                JsonNode get = container.path(probe).path("httpGet");
                assertEquals(path, get.path("path").asText(), name(set) + "'s " + probe);
                assertTrue(httpPort.contains(get.path("port").asText()), name(set) + "'s " + probe + " asks the HTTP port");
                // A probe waits up to 2 s for the scheduler and 2 s for the brokers.
                assertTrue(container.path(probe).path("timeoutSeconds").asInt() >= 5, name(set) + "'s " + probe
                        + " gives the probe time to answer");
            });
            if (command(set).equals("serve")) {
                // The OpenAI door on a port beyond loopback refuses to start without keys.
                assertEquals("laminar-http", envVar(container, ApiKeys.ENV).path("valueFrom").path("secretKeyRef")
                        .path("name").asText(), name(set) + " reads the door's API keys from the Secret laminar-http");
            }
            JsonNode scrape = set.path("spec").path("template").path("metadata").path("annotations");
            assertEquals(String.valueOf(http.port()), scrape.path("prometheus.io/port").asText(), name(set));
            assertEquals(MetricsRoute.PATH, scrape.path("prometheus.io/path").asText(), name(set));

            JsonNode resources = container.path("resources");
            assertEquals(resources.path("requests"), resources.path("limits"), name(set) + ": Guaranteed QoS");
            long limitMib = mebibytes(resources.path("limits").path("memory").asText());
            long heapMib = heapMib(envVar(container, "JAVA_TOOL_OPTIONS").path("value").asText());
            ParseResult parsed = parse(k8sArgs(set), command(set));
            long budgetMib = command(set).equals("node") ? parsed.matchedOptionValue("--memory-budget-mb", 0L) : 0;
            assertTrue(heapMib > budgetMib, name(set) + ": the heap holds the budget's KV cache");
            assertTrue(limitMib >= heapMib + budgetMib + JVM_OVERHEAD_MIB, name(set) + ": the memory limit " + limitMib
                    + " MiB holds the heap (" + heapMib + "), the budget's weights (" + budgetMib + ") and the JVM");
        }
    }

    @Test
    void composeMembersAreHealthyWhenTheirStatusSaysReady() {
        JsonNode services = compose().path("services");
        for (String name : laminarServices()) {
            JsonNode service = services.path(name);
            HttpAddress http = httpAddress(composeMember(service, name), name);
            assertEquals("0.0.0.0", http.host(), name + " opens HTTP beyond its container");
            assertTrue(exposed(service).contains(http.port()), name + " exposes its --http port");
            List<String> test = new ArrayList<>();
            service.path("healthcheck").path("test").forEach(n -> test.add(n.asText()));
            assertEquals(List.of("CMD", "java", "-jar", "/opt/laminar/laminar.jar", "status", "--http",
                    "127.0.0.1:" + http.port()), test, name + "'s healthcheck asks laminar status");
            Main.commandLine().parseArgs(test.subList(4, test.size()).toArray(String[]::new));
            if (name.equals("serve")) {
                // The OpenAI door on a port beyond loopback refuses to start without keys.
                assertTrue(service.path("environment").path(ApiKeys.ENV).asText().startsWith("${" + ApiKeys.ENV + ":?"),
                        "serve requires " + ApiKeys.ENV + " from the caller's environment");
            } else {
                // serve is ready only once the stages have joined: a stage waiting for it to be healthy never starts.
                assertFalse(service.path("depends_on").toString().contains("service_healthy"),
                        name + " starts once serve has started, not once it is healthy");
            }
        }
    }

    private static HttpAddress httpAddress(ParseResult command, String name) {
        String http = command.matchedOptionValue("--http", "");
        assertFalse(http.isEmpty(), name + " opens the HTTP port (--http) for its probes and /metrics");
        return HttpAddress.parse(http);
    }

    // ---- cluster certificates ---------------------------------------------------------------

    /** The password the script is given here; members would read it from PASSWORD_ENV. */
    private static final String TEST_PASSWORD = "deploy-manifests-test";

    @Test
    void certScriptMakesTheStoresComposeReads(@TempDir Path tmp) throws Exception {
        assumeTrue(runs("openssl", "version"), "openssl is not installed; skipping");
        List<String> members = laminarServices();
        String command = "deploy/make-cluster-certs.sh " + String.join(" ", members);
        assertTrue(DeployFiles.read(ROOT.resolve("docs/deploy.md")).contains(command), "docs/deploy.md says " + command);
        assertTrue(DeployFiles.read(COMPOSE).contains(command), "the compose file says " + command);
        // The command as documented, with the script's default folders, in a copy of deploy/: the
        // repository's own stores stay as they are.
        Path deploy = Files.createDirectories(tmp.resolve("deploy"));
        Path script = Files.copy(CERT_SCRIPT, deploy.resolve(CERT_SCRIPT.getFileName()));
        runCertScript(script, members);
        // Compose reads a relative bind source from the compose file's folder, deploy/.
        Path certs = deploy.resolve(defaultOf(COMPOSE_CERTS)).normalize();
        for (String name : members) {
            JsonNode service = compose().path("services").path(name);
            ParseResult member = composeMember(service, name);
            assertSpeaksTls(member, name);
            Path keyStore = composeHostFile(service, member.matchedOptionValue("--cluster-key-store", Path.of("")), certs);
            Path trustStore = composeHostFile(service, member.matchedOptionValue("--cluster-trust-store", Path.of("")), certs);
            // As the member opens them, the trust store with the key store's password (no other is set).
            new ClusterTls(keyStore, TEST_PASSWORD, trustStore, TEST_PASSWORD, false).check();
        }
        try (Stream<Path> written = Files.list(certs)) {
            List<String> names = written.map(f -> f.getFileName().toString()).sorted().toList();
            assertTrue(names.stream().allMatch(n -> n.endsWith(".p12")), "only stores where members mount from, no CA key: " + names);
        }
        assertTrue(Files.isRegularFile(deploy.resolve("cluster-ca/ca.key")), "the CA's key is kept apart, for later members");
    }

    @Test
    void certScriptMakesTheStoresOfTheSecretTheReadmeCreates(@TempDir Path tmp) throws Exception {
        assumeTrue(runs("openssl", "version"), "openssl is not installed; skipping");
        // deploy/k8s/README.md's commands, continuation lines joined.
        String readme = DeployFiles.read(K8S.resolve("README.md")).replace("\\\n", " ");
        Matcher make = Pattern.compile("(?m)^deploy/make-cluster-certs\\.sh (.+)$").matcher(readme);
        assertTrue(make.find(), "README.md runs deploy/make-cluster-certs.sh");
        List<String> args = new ArrayList<>(List.of(make.group(1).strip().split("\\s+")));
        int out = args.indexOf("--out");
        assertTrue(out >= 0, "README.md names the folder it then reads: " + args);
        String documentedOut = args.get(out + 1);
        Path certs = tmp.resolve("certs");
        args.set(out + 1, certs.toString());
        args.addAll(0, List.of("--ca", tmp.resolve("ca").toString()));
        runCertScript(CERT_SCRIPT, args);

        Matcher create = Pattern.compile("(?m)^kubectl .*create secret generic (\\S+)(.*)$").matcher(readme);
        assertTrue(create.find(), "README.md creates the Secret");
        String secret = create.group(1);
        Map<String, Path> files = new TreeMap<>();
        String passwordKey = null;
        Matcher fromFile = Pattern.compile("--from-file=(?:([\\w.-]+)=)?(\\S+)").matcher(create.group(2));
        while (fromFile.find()) {
            String source = fromFile.group(2);
            if (source.startsWith("<(")) {
                assertTrue(create.group(2).contains("--from-file=" + fromFile.group(1) + "=<(printf %s \"$" + PASSWORD_ENV + "\")"),
                        "the Secret's password is the one the script was given: " + create.group(2));
                passwordKey = fromFile.group(1);
                continue;
            }
            assertTrue(source.startsWith(documentedOut + "/"), source + " is in the folder the script wrote, " + documentedOut);
            Path file = certs.resolve(source.substring(documentedOut.length() + 1));
            assertTrue(Files.isRegularFile(file), "the script wrote " + source);
            files.put(fromFile.group(1) != null ? fromFile.group(1) : file.getFileName().toString(), file);
        }
        assertNotNull(passwordKey, "the Secret holds the password");

        for (JsonNode set : ofKind("StatefulSet").values()) {
            ParseResult member = parse(k8sArgs(set), command(set));
            assertSpeaksTls(member, name(set));
            SecretItem keyStore = secretItem(set, member.matchedOptionValue("--cluster-key-store", Path.of("")).toString());
            SecretItem trustStore = secretItem(set, member.matchedOptionValue("--cluster-trust-store", Path.of("")).toString());
            assertEquals(secret, keyStore.secret(), name(set) + " mounts the Secret README.md creates");
            assertEquals(passwordKey, envVar(container(set), PASSWORD_ENV).path("valueFrom").path("secretKeyRef").path("key").asText(),
                    name(set) + " reads the password from the Secret's key README.md fills");
            assertTrue(files.containsKey(keyStore.key()), "the Secret holds " + keyStore.key() + ": " + files.keySet());
            assertTrue(files.containsKey(trustStore.key()), "the Secret holds " + trustStore.key() + ": " + files.keySet());
            new ClusterTls(files.get(keyStore.key()), TEST_PASSWORD, files.get(trustStore.key()), TEST_PASSWORD, false).check();
        }
    }

    // ---- docs -------------------------------------------------------------------------------

    @Test
    void documentedModelsLeaveLayersToTheStages() throws Exception {
        Map<String, Integer> models = documentedModels();
        assertTrue(models.size() >= 3, "docs/deploy.md lists models and their layers: " + models);
        LayerRange serve = serveLayersInDocs();
        assertEquals(0, serve.start(), "serve hosts the first layers (the embedding)");
        String docs = DeployFiles.read(ROOT.resolve("docs/deploy.md"));
        for (Map.Entry<String, Integer> model : models.entrySet()) {
            int layers = model.getValue();
            serve.checkWithin(layers);
            assertTrue(serve.end() < layers, model.getKey() + ": layers are left for the stages");
            // serve's range and the stages' (inclusive) cover the model without gap or overlap.
            LayerRange stages = new LayerRange(serve.end(), layers);
            assertEquals(List.of(), LayerRange.uncovered(layers, List.of(serve, stages)));
            assertTrue(docs.contains("| " + layers + " | " + serve.start() + "-" + (serve.end() - 1) + " | "
                    + stages.start() + "-" + (stages.end() - 1) + " |"), model.getKey() + "'s row names both ranges");
        }
        Path stories = TestData.dir().resolve("models/stories260K.gguf");
        if (Files.isRegularFile(stories) && models.containsKey("stories260K")) {
            try (GgufFile file = GgufFile.open(stories)) {
                assertEquals(ModelConfig.fromGguf(file).layers(), models.get("stories260K"), "the test model's layers");
            }
        }
    }

    @Test
    void docsExplainTheMultiNodeDeployment() {
        String docs = DeployFiles.read(ROOT.resolve("docs/deploy.md"));
        for (String mention : List.of("deploy/docker-compose.multinode.yml", "deploy/k8s", "LAMINAR_SERVE_LAYERS",
                "LAMINAR_STAGE_BUDGET_MB", "kubectl scale statefulset laminar-stage", "PIPELINE_NOT_READY", "STAGE_FAILED",
                "joins again by itself")) {
            assertTrue(docs.contains(mention), "docs/deploy.md mentions " + mention);
        }
        assertTrue(Files.exists(K8S.resolve("README.md")));
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** What $(POD_IP) stands for when the stages' arguments are parsed. */
    private static final String POD_IP = "10.1.2.3";

    private static JsonNode compose() {
        return DeployFiles.yaml(COMPOSE);
    }

    private static List<String> laminarServices() {
        return compose().path("services").properties().stream().map(Map.Entry::getKey)
                .filter(name -> !name.equals("kafka")).toList();
    }

    private static String composeModelPath() {
        return composeMember(compose().path("services").path("serve"), "serve").matchedOptionValue("-m", "");
    }

    /** The command line of compose service {@code name}: serve's is {@code serve}, every other member's {@code node}. */
    private static ParseResult composeMember(JsonNode service, String name) {
        return parse(composeCommand(service), name.equals("serve") ? "serve" : "node");
    }

    /** A compose service's command with {@code ${VAR:-default}} as its default and {@code ${VAR:?...}} refused. */
    private static List<String> composeCommand(JsonNode service) {
        List<String> command = new ArrayList<>();
        service.path("command").forEach(n -> command.add(interpolate(n.asText())));
        return command;
    }

    private static final Pattern COMPOSE_VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::-([^}]*))?}");

    private static String interpolate(String text) {
        Matcher m = COMPOSE_VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            if (m.group(2) == null) {
                fail("${" + m.group(1) + "} in a command has no default: " + text);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(2)));
        }
        return m.appendTail(out).toString();
    }

    private static String composeJavaOptions(JsonNode service) {
        return interpolate(service.path("environment").path("JAVA_TOOL_OPTIONS").asText());
    }

    private static List<Integer> exposed(JsonNode service) {
        List<Integer> ports = new ArrayList<>();
        service.path("expose").forEach(p -> ports.add(Integer.parseInt(p.asText())));
        return ports;
    }

    /** Where compose's members find the stores on the host: the script's default folder, relative to deploy/. */
    private static final String COMPOSE_CERTS = "${LAMINAR_CLUSTER_CERTS:-./certs}";

    /** A member on a non-loopback --host passes both stores (else it refuses to start), and none turns TLS off. */
    private static void assertSpeaksTls(ParseResult member, String name) {
        assertFalse(member.hasMatchedOption("--insecure-cluster"), name + " keeps cluster TLS on");
        String host = member.matchedOptionValue("--host", "127.0.0.1");
        if (!host.equals("localhost") && !host.equals("::1") && !host.startsWith("127.")) {
            assertTrue(member.hasMatchedOption("--cluster-key-store") && member.hasMatchedOption("--cluster-trust-store"),
                    name + " binds " + host + ", not a loopback address: it needs --cluster-key-store and --cluster-trust-store");
        }
    }

    /** The compose volume mounted at {@code path} or a folder above it, or null. */
    private static JsonNode composeMountAbove(JsonNode service, String path) {
        for (JsonNode volume : service.path("volumes")) {
            String target = volume.path("target").asText();
            if (!target.isEmpty() && (path.equals(target) || path.startsWith(target + "/"))) {
                return volume;
            }
        }
        return null;
    }

    /** The host file behind a container path of a compose service, with {@link #COMPOSE_CERTS} standing for {@code certs}. */
    private static Path composeHostFile(JsonNode service, Path path, Path certs) {
        JsonNode mount = composeMountAbove(service, path.toString());
        assertNotNull(mount, "a mount at or above " + path);
        String source = mount.path("source").asText() + path.toString().substring(mount.path("target").asText().length());
        assertTrue(source.startsWith(COMPOSE_CERTS + "/"), source);
        return certs.resolve(source.substring(COMPOSE_CERTS.length() + 1));
    }

    /** The default of a {@code ${VAR:-default}}. */
    private static String defaultOf(String variable) {
        Matcher m = COMPOSE_VARIABLE.matcher(variable);
        assertTrue(m.matches() && m.group(2) != null, variable);
        return m.group(2);
    }

    /** A container's volume mount and the pod volume it names. */
    private record MountedVolume(JsonNode mount, JsonNode volume) {
    }

    /** The volume mounted above {@code path} in {@code set}'s container, checking that it is mounted read-only and declared. */
    private static MountedVolume readOnlyVolumeAbove(JsonNode set, String path) {
        JsonNode mount = null;
        for (JsonNode m : container(set).path("volumeMounts")) {
            if (path.startsWith(m.path("mountPath").asText() + "/")) {
                mount = m;
            }
        }
        assertNotNull(mount, name(set) + " mounts a volume above " + path);
        assertTrue(mount.path("readOnly").asBoolean(), name(set) + " mounts " + path + " read-only");
        JsonNode volume = null;
        for (JsonNode v : set.path("spec").path("template").path("spec").path("volumes")) {
            if (v.path("name").asText().equals(mount.path("name").asText())) {
                volume = v;
            }
        }
        assertNotNull(volume, name(set) + " declares volume " + mount.path("name").asText());
        return new MountedVolume(mount, volume);
    }

    /** A file a StatefulSet's container reads from a Secret: the Secret, its key, and the pod's volume. */
    private record SecretItem(String secret, String key, JsonNode volume) {
    }

    /** The Secret item mounted at {@code path}, checking that its mount is read-only. */
    private static SecretItem secretItem(JsonNode set, String path) {
        MountedVolume mounted = readOnlyVolumeAbove(set, path);
        JsonNode mount = mounted.mount();
        JsonNode volume = mounted.volume();
        JsonNode secret = volume.path("secret");
        assertFalse(secret.isMissingNode(), name(set) + ": " + path + " comes from a Secret: " + volume);
        String relative = path.substring(mount.path("mountPath").asText().length() + 1);
        for (JsonNode item : secret.path("items")) {
            if (item.path("path").asText().equals(relative)) {
                return new SecretItem(secret.path("secretName").asText(), item.path("key").asText(), volume);
            }
        }
        throw new AssertionError(name(set) + " projects the Secret's items it reads, not " + relative + ": " + volume);
    }

    private static List<String> envNames(JsonNode container) {
        List<String> names = new ArrayList<>();
        container.path("env").forEach(e -> names.add(e.path("name").asText()));
        return names;
    }

    /** Runs deploy/make-cluster-certs.sh (or a copy) with the test's password and this JVM's keytool. */
    private static void runCertScript(Path script, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_ENV, TEST_PASSWORD);
        builder.environment().remove(TRUST_PASSWORD_ENV);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the script finished");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ":\n" + output);
    }

    private static boolean runs(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Parsed from the top, as `laminar serve ...` is; returns the subcommand's result. */
    private static ParseResult parse(List<String> command, String subcommand) {
        assertEquals(subcommand, command.getFirst(), "runs " + subcommand + ": " + command);
        ParseResult top = Main.commandLine().parseArgs(command.toArray(String[]::new));
        assertTrue(top.hasSubcommand(), String.valueOf(command));
        return top.subcommand();
    }

    /** A stage that offers a budget and names no range: the scheduler places the layers serve leaves. */
    private static void assertBudgetPlaced(ParseResult stage, String name) {
        assertTrue(stage.matchedOptionValue("--layers", List.of()).isEmpty(), name + " takes its layers from placement");
        assertTrue(stage.matchedOptionValue("--memory-budget-mb", 0L) > 0, name + " offers a memory budget");
    }

    private static LayerRange serveLayers(ParseResult serve) {
        List<String> layers = serve.matchedOptionValue("--layers", List.of());
        assertEquals(1, layers.size(), "serve hosts one range: " + layers);
        return LayerRange.parseInclusive(layers.getFirst());
    }

    /** serve's range in the docs' model table, which is the files' default. */
    private static LayerRange serveLayersInDocs() {
        Matcher m = Pattern.compile("`LAMINAR_SERVE_LAYERS` \\(default `(\\d+-\\d+)`\\)")
                .matcher(DeployFiles.read(ROOT.resolve("docs/deploy.md")));
        assertTrue(m.find(), "docs/deploy.md gives LAMINAR_SERVE_LAYERS's default");
        return LayerRange.parseInclusive(m.group(1));
    }

    /** Rows "| `NAME...` ... | LAYERS | A-B | C-D |" of docs/deploy.md's model table, by the name's first word. */
    private static Map<String, Integer> documentedModels() {
        Map<String, Integer> models = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*\\| `([\\w.-]+?)(?:-Q\\w+)?\\.gguf`[^|]*\\| (\\d+) \\| \\d+-\\d+ \\| \\d+-\\d+ \\|")
                .matcher(DeployFiles.read(ROOT.resolve("docs/deploy.md")));
        while (m.find()) {
            models.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return models;
    }

    private static List<JsonNode> k8sObjects() {
        List<JsonNode> objects = new ArrayList<>();
        DeployFiles.yaml(K8S.resolve("kustomization.yaml")).path("resources")
                .forEach(r -> objects.addAll(DeployFiles.yamlDocuments(K8S.resolve(r.asText()))));
        return objects;
    }

    private static Map<String, JsonNode> ofKind(String kind) {
        Map<String, JsonNode> byName = new TreeMap<>();
        for (JsonNode object : k8sObjects()) {
            if (object.path("kind").asText().equals(kind)) {
                byName.put(name(object), object);
            }
        }
        return byName;
    }

    private static String name(JsonNode object) {
        return object.path("metadata").path("name").asText();
    }

    private static JsonNode container(JsonNode set) {
        JsonNode containers = set.path("spec").path("template").path("spec").path("containers");
        assertEquals(1, containers.size(), name(set) + " runs one container");
        return containers.get(0);
    }

    private static String command(JsonNode set) {
        return container(set).path("args").get(0).asText();
    }

    private static JsonNode envVar(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("no env " + name + " in container " + container.path("name").asText());
    }

    private static int clusterPort(JsonNode set) {
        for (JsonNode p : container(set).path("ports")) {
            if (p.path("name").asText().equals("cluster")) {
                return p.path("containerPort").asInt();
            }
        }
        throw new AssertionError(name(set) + " declares no port named cluster");
    }

    /**
     * The container's args with {@code $(VAR)} expanded as the kubelet does, from its env: a value,
     * a ConfigMap key, or the downward API (the pod name of ordinal 0, a pod IP); never a Secret's.
     */
    private static List<String> k8sArgs(JsonNode set) {
        JsonNode container = container(set);
        Map<String, String> env = new TreeMap<>();
        Set<String> secretEnv = new HashSet<>();
        for (JsonNode e : container.path("env")) {
            JsonNode from = e.path("valueFrom");
            String value;
            if (e.has("value")) {
                value = e.path("value").asText();
            } else if (from.has("secretKeyRef")) {
                // Never expanded into args: a password there would show in the process list.
                secretEnv.add(e.path("name").asText());
                continue;
            } else if (from.has("configMapKeyRef")) {
                JsonNode ref = from.path("configMapKeyRef");
                JsonNode map = ofKind("ConfigMap").get(ref.path("name").asText());
                assertNotNull(map, "ConfigMap " + ref.path("name").asText());
                value = map.path("data").path(ref.path("key").asText()).asText();
            } else {
                value = switch (from.path("fieldRef").path("fieldPath").asText()) {
                    case "metadata.name" -> name(set) + "-0";
                    case "status.podIP" -> POD_IP;
                    default -> throw new AssertionError("unexpected env source " + e);
                };
            }
            env.put(e.path("name").asText(), value);
        }
        List<String> args = new ArrayList<>();
        Pattern variable = Pattern.compile("\\$\\((\\w+)\\)");
        for (JsonNode a : container.path("args")) {
            Matcher m = variable.matcher(a.asText());
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                assertFalse(secretEnv.contains(m.group(1)), "$(" + m.group(1) + "), from a Secret, is not in " + name(set) + "'s args");
                String value = env.get(m.group(1));
                assertNotNull(value, "$(" + m.group(1) + ") in " + name(set) + "'s args is in its env");
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            args.add(m.appendTail(out).toString());
        }
        return args;
    }

    /** -Xmx of JVM options, in MiB. */
    private static long heapMib(String javaOptions) {
        Matcher m = Pattern.compile("-Xmx(\\d+)([kKmMgG])").matcher(javaOptions);
        assertTrue(m.find(), "a heap size in " + javaOptions);
        long n = Long.parseLong(m.group(1));
        return switch (Character.toLowerCase(m.group(2).charAt(0))) {
            case 'g' -> n << 10;
            case 'm' -> n;
            default -> n >> 10;
        };
    }

    /** A Kubernetes memory quantity (Mi or Gi) in MiB. */
    private static long mebibytes(String quantity) {
        if (quantity.endsWith("Gi")) {
            return Long.parseLong(quantity.substring(0, quantity.length() - 2)) << 10;
        }
        if (quantity.endsWith("Mi")) {
            return Long.parseLong(quantity.substring(0, quantity.length() - 2));
        }
        throw new AssertionError("memory in Mi or Gi: " + quantity);
    }
}
