package io.laminar.tornado;

import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.StageExecutor;

/**
 * The {@code tornadovm} backend, registered for {@link java.util.ServiceLoader}: stages run on a
 * TornadoVM device ({@link TornadoStage}). This class touches no TornadoVM type until a stage is
 * opened, so it loads, and can say what is missing, on a JVM started without the TornadoVM SDK.
 */
public final class TornadoBackend implements StageBackend {
    /** The TornadoVM class whose absence means the JVM was not started with the SDK's flags. */
    private static final String PLAN_CLASS = "uk.ac.manchester.tornado.api.TornadoExecutionPlan";
    /** Set by the SDK's argfile; without it TornadoVM's API has no runtime behind it. */
    private static final String RUNTIME_PROPERTY = "tornado.load.runtime.implementation";

    @Override
    public String name() {
        return TORNADOVM;
    }

    /** TornadoVM's switch for running a graph as plain Java when a kernel fails to compile. */
    private static final String BAILOUT_PROPERTY = "tornado.recover.bailout";

    @Override
    public StageExecutor open(Spec spec) {
        checkRuntime();
        // The kernels are written against a KernelContext and are meaningless as sequential Java: a
        // kernel that does not compile for the device must fail the stage, not silently run on the host.
        if (System.getProperty(BAILOUT_PROPERTY) == null) {
            System.setProperty(BAILOUT_PROPERTY, "False");
        }
        try {
            return new TornadoStage(spec);
        } catch (ExceptionInInitializerError | NoClassDefFoundError | UnsatisfiedLinkError e) {
            throw new UnavailableException("backend=tornadovm: the TornadoVM runtime failed to start (" + e
                    + "); check that TORNADOVM_HOME points at an SDK built for this JDK and that its device driver "
                    + "(OpenCL ICD, CUDA) is installed; see docs/tornadovm.md", e);
        }
    }

    private static void checkRuntime() {
        try {
            Class.forName(PLAN_CLASS, false, TornadoBackend.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new UnavailableException("backend=tornadovm: TornadoVM's classes are not on this JVM's module path. "
                    + "Start it with the SDK's flags (java @$TORNADOVM_HOME/tornado-argfile ...), which ./laminar "
                    + "adds when --backend names tornadovm; see docs/tornadovm.md", e);
        }
        if (System.getProperty(RUNTIME_PROPERTY) == null) {
            throw new UnavailableException("backend=tornadovm: system property " + RUNTIME_PROPERTY + " is not set: "
                    + "start the JVM with the SDK's flags (java @$TORNADOVM_HOME/tornado-argfile ...), which "
                    + "./laminar adds when --backend names tornadovm; see docs/tornadovm.md");
        }
    }
}
