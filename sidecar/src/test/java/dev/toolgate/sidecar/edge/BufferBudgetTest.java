package dev.toolgate.sidecar.edge;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BufferBudgetTest {

    @Test
    void chunksAreTakenUntilTheBudgetIsSpentAndAllGivenBackOnRelease() {
        BufferBudget budget = new BufferBudget(100);
        BufferBudget.Reservation a = budget.reservation();
        BufferBudget.Reservation b = budget.reservation();
        assertThat(a.grow(60)).isTrue();
        assertThat(b.grow(30)).isTrue();
        assertThat(b.grow(11)).as("does not fit").isFalse();
        assertThat(budget.inUse()).isEqualTo(90);
        assertThat(b.held()).isEqualTo(30);
        assertThat(b.grow(10)).isTrue();
        assertThat(budget.inUse()).isEqualTo(100);
        a.release();
        assertThat(budget.inUse()).isEqualTo(40);
        a.release();
        assertThat(budget.inUse()).as("release is idempotent").isEqualTo(40);
        assertThat(a.grow(1)).as("a released reservation takes nothing more").isFalse();
        b.release();
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void concurrentRequestsNeverOverspendAndLeaveNothingBehind() throws InterruptedException {
        BufferBudget budget = new BufferBudget(10_000);
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger overspent = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    BufferBudget.Reservation r = budget.reservation();
                    for (int chunk = 0; chunk < 3; chunk++) {
                        if (!r.grow(700)) {
                            break;
                        }
                        if (budget.inUse() > budget.capacity()) {
                            overspent.incrementAndGet();
                        }
                    }
                    r.release();
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        assertThat(overspent).hasValue(0);
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void defaultIsAQuarterOfTheHeapButAtLeastOneLargestBody() {
        assertThat(BufferBudget.defaultCapacity(1)).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(BufferBudget.defaultCapacity(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> new BufferBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
