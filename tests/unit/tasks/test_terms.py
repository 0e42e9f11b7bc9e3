from marketplace.tasks.terms import index_terms, query_terms


def test_cjk_text_gives_unigrams_and_bigrams():
    assert index_terms("光纤传感") == {"光", "纤", "传", "感", "光纤", "纤传", "传感"}


def test_latin_words_are_lower_cased_and_width_normalised():
    assert index_terms("FPGA-based ＡＩ Design") == {"fpga", "based", "ai", "design"}


def test_mixed_text_splits_runs():
    assert index_terms("激光LiDAR标定") == {"激", "光", "激光", "lidar", "标", "定", "标定"}


def test_queries_use_bigrams_and_single_characters():
    assert query_terms("光纤传感器") == {"光纤", "纤传", "传感", "感器"}
    assert query_terms("光") == {"光"}
    assert query_terms("光纤 fpga") == {"光纤", "fpga"}
    assert query_terms("  !!! ") == set()


def test_every_query_term_of_a_text_is_among_its_index_terms():
    text = "英译中技术文档翻译 Technical translation"
    assert query_terms("技术文档 translation") <= index_terms(text)


def test_query_groups_keep_the_bigrams_of_one_word_together():
    from marketplace.tasks.terms import query_groups
    assert query_groups("光纤传感 FPGA") == [{"光纤", "纤传", "传感"}, {"fpga"}]
    assert query_groups("  ") == []
