# GUI area: item models, the main window offscreen, the session controller.
leakscope_add_qtest(tst_growthtablemodel tst_growthtablemodel.cpp guitestdata.h LIBS leakscope_views)
leakscope_add_qtest(tst_sessioncontroller tst_sessioncontroller.cpp guitestdata.h LIBS leakscope_app)
leakscope_add_qtest(tst_mainwindow tst_mainwindow.cpp guitestdata.h LIBS leakscope_app)
