package io.laminar.tornado;

import org.junit.jupiter.api.Assumptions;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;

/**
 * Skips a test, saying why, when this JVM has no TornadoVM device: tests of this module run only
 * when the build found a TornadoVM SDK (TORNADOVM_HOME), and need a device driver besides (on a
 * machine without a GPU, PoCL's OpenCL CPU device will do: {@code apt-get install pocl-opencl-icd}).
 */
final class TornadoDevice {
    private static Boolean present;

    private TornadoDevice() {
    }

    static void assume() {
        if (present == null) {
            String why = null;
            try {
                int backends = TornadoExecutionPlan.getTornadoDeviceMap().getNumBackends();
                if (backends == 0) {
                    why = "TornadoVM found no backend";
                }
            } catch (Throwable t) {
                why = "TornadoVM could not start: " + t;
            }
            present = why == null;
            if (why != null) {
                System.err.println("TornadoVM tests skipped: " + why + " (install an OpenCL driver, e.g. pocl-opencl-icd)");
            }
        }
        Assumptions.assumeTrue(present, "no TornadoVM device: install an OpenCL driver (e.g. pocl-opencl-icd) or a GPU driver");
    }

    /** The device TornadoVM runs these tests on, for messages. */
    static String name() {
        return TornadoExecutionPlan.DEFAULT_DEVICE.getDeviceName();
    }
}
