"""Dashboards for admins and coordinators (headline figures and charts) and the coverage of
districts by trainings. Figures in ``figures``, SVG charts in ``charts``, pages in ``views``."""
