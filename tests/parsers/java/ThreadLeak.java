// A JVM that leaks threads the way a per-request timeout thread that is never stopped does:
// every task starts a named thread that parks forever. Prints READY once they all run, then
// waits for the test to take its jstack and kill it.
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

public class ThreadLeak {
    public static void main(String[] args) throws Exception {
        int leaked = Integer.parseInt(args[0]);
        CountDownLatch started = new CountDownLatch(leaked);
        for (int i = 1; i <= leaked; i++) {
            Thread t = new Thread(() -> {
                started.countDown();
                while (true) {
                    LockSupport.park();
                }
            }, "connection timeout " + i);
            t.setDaemon(true);
            t.start();
        }
        started.await();
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(120_000);
    }
}
