package dip.sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns {@code --class} words (an index or a name, any case) into class indices; the error lists the valid ones. */
public final class ClassSelection {
    private ClassSelection() {
    }

    /** All classes when {@code words} is null or empty; else each word resolved, in order (repeats allowed). */
    public static int[] resolve(List<String> words, List<String> names) {
        if (words == null || words.isEmpty()) {
            int[] all = new int[names.size()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        List<Integer> out = new ArrayList<>();
        for (String w : words) out.add(resolve(w.trim(), names));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static int resolve(String word, List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(word)) return i;
        }
        try {
            int k = Integer.parseInt(word);
            if (k >= 0 && k < names.size()) return k;
        } catch (NumberFormatException ignored) {
            // not an index either: fall through to the error
        }
        StringBuilder valid = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) valid.append(", ");
            valid.append(i);
            if (!names.get(i).equals(Integer.toString(i))) valid.append(" '").append(names.get(i)).append('\'');
        }
        throw new IllegalArgumentException(String.format(Locale.ROOT, "unknown class '%s'; valid classes: %s", word, valid));
    }
}
