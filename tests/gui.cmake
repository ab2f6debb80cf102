# GUI area: item models, the main window offscreen, the session controller.
leakscope_add_qtest(tst_growthtablemodel tst_growthtablemodel.cpp guitestdata.h LIBS leakscope_views)
