package dip.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters of a model in construction order, by their official state_dict names. AdamW, zeroGrad, EMA and
 * checkpoints are single loops over this list (in place of llm.c's hand-synced tables).
 */
public final class ParamRegistry {
    private final Map<String, Param> byName = new LinkedHashMap<>();

    /** Creates and registers a zero-filled parameter; a duplicate name is a programming error. */
    public Param add(String name, int... shape) {
        if (byName.containsKey(name)) throw new IllegalStateException("parameter registered twice: " + name);
        Param p = new Param(name, shape);
        byName.put(name, p);
        return p;
    }

    public List<Param> all() { return Collections.unmodifiableList(new ArrayList<>(byName.values())); }

    /** The named parameter, or null. */
    public Param get(String name) { return byName.get(name); }

    public int size() { return byName.size(); }

    /** Total number of scalars. */
    public long count() {
        long n = 0;
        for (Param p : byName.values()) n += p.size();
        return n;
    }

    public void zeroGrad() {
        for (Param p : byName.values()) p.zeroGrad();
    }
}
