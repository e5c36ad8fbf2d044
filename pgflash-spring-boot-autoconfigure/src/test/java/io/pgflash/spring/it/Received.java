package io.pgflash.spring.it;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;

/** What the listeners got, for the tests to look at. */
@Component
public class Received {
    public final List<Post> published = new CopyOnWriteArrayList<>();
    public final List<String> titleChanges = new CopyOnWriteArrayList<>();
    public final List<Operation> removed = new CopyOnWriteArrayList<>();
    public final List<List<ChangeEvent>> commentBatches = new CopyOnWriteArrayList<>();
    public final List<ChangeEvent> paused = new CopyOnWriteArrayList<>();
    public final List<String> cached = new CopyOnWriteArrayList<>();
    public final List<String> snapshots = new CopyOnWriteArrayList<>();
}
